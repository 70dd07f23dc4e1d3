#include "util/poll.h"

#include <algorithm>
#include <thread>

namespace util {

bool poll_until(const std::function<bool()>& ready, double timeout_s, const Backoff& backoff) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  auto pause = backoff.first;
  for (int polls = 0;; ++polls) {
    if (ready()) return true;
    if (timeout_s >= 0 && std::chrono::duration<double>(Clock::now() - start).count() >= timeout_s)
      return false;
    if (polls < backoff.spins) continue;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, backoff.longest);
  }
}

}  // namespace util
