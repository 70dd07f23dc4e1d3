#include "runner/scheduler.h"

#include <deque>

#include "cluster/mpi_context.h"

namespace runner {
namespace {

// Runs one trial, turning any exception into a failed result that says where it happened.
TrialResult execute_safely(const Assignment& a, const Executor& execute, const EpochCallback& on_epoch,
                           const cluster::MpiContext& mpi) {
  TrialResult r;
  r.trial_id = a.trial_id;
  try {
    r.final_metrics = execute(a, on_epoch);
    r.ok = true;
  } catch (const std::exception& e) {
    r.error = std::string(e.what()) + " [rank " + std::to_string(mpi.rank()) + " on " + mpi.host() + "]";
  }
  return r;
}

void run_alone(cluster::MpiContext& mpi, const std::vector<Assignment>& todo, Sink& sink,
               const Executor& execute) {
  for (const auto& a : todo) {
    sink.started(a, {mpi.rank()}, mpi.host());
    auto on_epoch = [&](std::int64_t epoch, const Metrics& v) { sink.epoch({a.trial_id, epoch, v}); };
    sink.finished(execute_safely(a, execute, on_epoch, mpi));
  }
}

void run_master(cluster::MpiContext& mpi, const std::vector<Assignment>& todo, Sink& sink) {
  std::deque<int> idle;
  for (int r = 1; r < mpi.size(); ++r) idle.push_back(r);
  std::size_t next = 0, in_flight = 0;
  while (next < todo.size() || in_flight > 0) {
    while (!idle.empty() && next < todo.size()) {
      int worker = idle.front();
      idle.pop_front();
      sink.started(todo[next], {worker}, mpi.host_of(worker));
      mpi.send(worker, kTagAssign, pack(todo[next]));
      ++next;
      ++in_flight;
    }
    cluster::Message m = mpi.receive();
    if (m.tag == kTagEpoch) {
      sink.epoch(unpack<EpochReport>(m.bytes));
    } else if (m.tag == kTagResult) {
      sink.finished(unpack<TrialResult>(m.bytes));
      idle.push_back(m.source);
      --in_flight;
    }
  }
  for (int r = 1; r < mpi.size(); ++r) mpi.send(r, kTagStop, "");
}

void run_worker(cluster::MpiContext& mpi, const Executor& execute) {
  while (true) {
    cluster::Message m = mpi.receive();
    if (m.tag == kTagStop) return;
    if (m.tag != kTagAssign) continue;
    auto a = unpack<Assignment>(m.bytes);
    auto on_epoch = [&](std::int64_t epoch, const Metrics& v) {
      mpi.send(0, kTagEpoch, pack(EpochReport{a.trial_id, epoch, v}));
    };
    mpi.send(0, kTagResult, pack(execute_safely(a, execute, on_epoch, mpi)));
  }
}

}  // namespace

void run_trials(cluster::MpiContext& mpi, const std::vector<Assignment>& todo, Sink* sink,
                const Executor& execute) {
  if (mpi.size() == 1) run_alone(mpi, todo, *sink, execute);
  else if (mpi.rank() == 0) run_master(mpi, todo, *sink);
  else run_worker(mpi, execute);
}

}  // namespace runner
