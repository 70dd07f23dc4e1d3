#include "results/leases.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "results/sqlite.h"
#include "util/host.h"

namespace results {
namespace {

// Field 22 of /proc/PID/stat: when the process started, in clock ticks after boot; 0 if unknown.
std::int64_t start_ticks_of(std::int64_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The command name (field 2) may hold spaces and parentheses: count from its closing one.
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i)
    if (i == 22) return std::atoll(field.c_str());
  return 0;
}

std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

}  // namespace

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

RunIdentity this_process() {
  RunIdentity me;
  me.host = util::host_name();
  me.pid = ::getpid();
  me.start_ticks = start_ticks_of(me.pid);
  const std::string array_job = env_or_empty("SLURM_ARRAY_JOB_ID");
  me.slurm_job = array_job.empty() ? env_or_empty("SLURM_JOB_ID")
                                   : array_job + "_" + env_or_empty("SLURM_ARRAY_TASK_ID");
  return me;
}

bool process_alive(std::int64_t pid, std::int64_t start_ticks) {
  if (pid <= 0) return false;
  if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) return false;
  // A pid taken by another process since: its start time differs.
  const std::int64_t now = start_ticks_of(pid);
  return start_ticks == 0 || now == 0 || now == start_ticks;
}

LeaseKeeper::LeaseKeeper(const std::string& db_path, std::int64_t run_id, double lease_s)
    : path_(db_path), run_id_(run_id), lease_s_(lease_s), thread_([this] { keep(); }) {}

LeaseKeeper::~LeaseKeeper() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    done_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void LeaseKeeper::keep() {
  try {
    Database db(path_, Database::Mode::ReadWrite);
    auto heartbeat = db.prepare("UPDATE runs SET heartbeat = ? WHERE id = ?");
    auto leases =
        db.prepare("UPDATE trials SET lease_expires = ? WHERE run_id = ? AND status = 'running'");
    const auto interval = std::chrono::duration<double>(lease_s_ / 4);
    std::unique_lock<std::mutex> lock(mutex_);
    while (!wake_.wait_for(lock, interval, [this] { return done_; })) {
      try {
        const double now = unix_now();
        Transaction tx(db);
        heartbeat.bind(1, now).bind(2, run_id_).run();
        leases.bind(1, now + lease_s_).bind(2, run_id_).run();
        tx.commit();
      } catch (const std::exception& e) {
        std::cerr << "warning: could not renew this run's leases (tried again in "
                  << interval.count() << " s): " << e.what() << std::endl;
      }
    }
  } catch (const std::exception& e) {
    std::cerr << "warning: this run cannot renew its leases: " << e.what() << std::endl;
  }
}

}  // namespace results
