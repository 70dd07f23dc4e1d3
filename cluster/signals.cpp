#include "cluster/signals.h"

#include <time.h>

#include <csignal>
#include <initializer_list>
#include <string>

#include "util/errors.h"

namespace cluster {
namespace {

constexpr int kRepeatWindowS = 3;  // a repeat within this is the same event, delivered twice

volatile std::sig_atomic_t g_signal = 0;
volatile std::sig_atomic_t g_first_at = 0;  // monotonic seconds

// Monotonic seconds; clock_gettime is async-signal-safe.
std::sig_atomic_t now_s() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::sig_atomic_t>(ts.tv_sec);
}

void on_stop_signal(int sig) {
  const std::sig_atomic_t now = now_s();
  if (g_signal == 0) {
    g_signal = sig;
    g_first_at = now;
    return;
  }
  if (now - g_first_at < kRepeatWindowS) return;
  // Asked twice: die now, by the signal's default action, as the sender expects.
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

}  // namespace

void install_stop_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  util::check_syscall(sigemptyset(&sa.sa_mask), "sigemptyset");
  sa.sa_flags = SA_RESTART;  // a signal must not fail the MPI or file call it interrupts
  for (int sig : {SIGTERM, SIGINT, SIGUSR1})
    util::check_syscall(::sigaction(sig, &sa, nullptr),
                        "sigaction for signal " + std::to_string(sig));
}

bool stop_requested() {
  return g_signal != 0;
}
int stop_signal() {
  return g_signal;
}

void request_stop(int signal) {
  if (g_signal == 0) {
    g_signal = signal;
    g_first_at = now_s();
  }
}

void clear_stop() {
  g_signal = 0;
}

}  // namespace cluster
