#pragma once
// Several runs on one database (processes, MPI jobs, SLURM jobs or a job array's elements) share
// a sweep. Each registers in the `runs` table and claims a trial before it trains it: the claim
// marks the trial running with the run's id and a lease (an expiry time). A claim is a
// transaction, so two runs never hold one trial. A thread of the run renews its leases every
// lease_s / 4 on a connection of its own, whatever its training does; a run that stops renewing
// (killed, or suspended) loses its trials once their leases lapse, and the next run to look takes
// them over and resumes them from their checkpoints. A dead run on the claimant's own host is
// known at once by its pid, without waiting for its leases.
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace results {

// Seconds since 1970, the clock of leases and heartbeats. Runs on different nodes compare their
// clocks through it: NTP keeps a cluster's nodes within milliseconds of each other, far inside
// any lease.
double unix_now();

// Who holds a trial, as a run that wants to train it sees it.
enum class Holder {
  kNobody,    // free to claim: pending, interrupted, stale, or running under a lapsed lease
  kLiveRun,   // running under another run's lease, renewed lately
  kQuietRun,  // running under another run's lease that has missed renewals: that run may be dead
  kFinished,  // completed, pruned, or failed when failed trials are not retried
};

// The process a run is: its host, pid and start time (so that a reused pid is not taken for
// it) and its SLURM job ("1234", or "1234_5" for an element of a job array) when it has one.
struct RunIdentity {
  std::string host;
  std::int64_t pid = 0;
  std::int64_t start_ticks = 0;
  std::string slurm_job;
};
RunIdentity this_process();
// Whether the process `pid`, started at `start_ticks`, still runs on this host.
bool process_alive(std::int64_t pid, std::int64_t start_ticks);

// Renews a run's heartbeat and leases every lease_s / 4 until destroyed. A renewal that fails
// (the database locked for longer than SQLite's busy timeout) is reported on stderr and tried
// again at the next interval.
class LeaseKeeper {
 public:
  LeaseKeeper(const std::string& db_path, std::int64_t run_id, double lease_s);
  ~LeaseKeeper();
  LeaseKeeper(const LeaseKeeper&) = delete;
  LeaseKeeper& operator=(const LeaseKeeper&) = delete;

 private:
  void keep();
  const std::string path_;
  const std::int64_t run_id_;
  const double lease_s_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool done_ = false;
  std::thread thread_;
};

}  // namespace results
