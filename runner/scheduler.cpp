#include "runner/scheduler.h"

#include <deque>

namespace runner {
namespace {

// Runs one trial, turning any exception into a failed result that says where it happened.
TrialResult execute_safely(const Assignment& a, cluster::Group& group, const Executor& execute,
                           const EpochCallback& on_epoch) {
  TrialResult r;
  r.trial_id = a.trial_id;
  try {
    TrialOutput out = execute(a, group, on_epoch);
    r.final_metrics = std::move(out.metrics);
    r.artifacts = std::move(out.artifacts);
    r.ok = true;
  } catch (const std::exception& e) {
    auto& mpi = group.world();
    r.error =
        std::string(e.what()) + " [rank " + std::to_string(mpi.rank()) + " on " + mpi.host() + "]";
  }
  return r;
}

void run_alone(cluster::Group& group, const std::vector<Assignment>& todo, Sink& sink,
               const Executor& execute) {
  for (const auto& a : todo) {
    sink.started(a, {0}, group.world().host());
    auto on_epoch = [&](std::int64_t epoch, const Metrics& v) {
      sink.epoch({a.trial_id, epoch, v});
    };
    sink.finished(execute_safely(a, group, execute, on_epoch));
  }
}

void run_master(cluster::MpiContext& mpi, const cluster::Layout& layout,
                const std::vector<Assignment>& todo, Sink& sink) {
  std::deque<int> idle;  // groups waiting for work
  for (int g = 0; g < layout.groups; ++g) idle.push_back(g);
  std::size_t next = 0, in_flight = 0;
  while (next < todo.size() || in_flight > 0) {
    while (!idle.empty() && next < todo.size()) {
      const auto ranks = layout.members(idle.front());
      idle.pop_front();
      sink.started(todo[next], ranks, mpi.host_of(ranks.front()));
      mpi.send(ranks.front(), kTagAssign, pack(todo[next]));
      ++next;
      ++in_flight;
    }
    cluster::Message m = mpi.receive();
    if (m.tag == kTagEpoch) {
      sink.epoch(unpack<EpochReport>(m.bytes));
    } else if (m.tag == kTagResult) {
      sink.finished(unpack<TrialResult>(m.bytes));
      idle.push_back(layout.group_of(m.source));
      --in_flight;
    }
  }
  for (int r = 1; r < mpi.size(); ++r)
    if (layout.group_of(r) >= 0 && (r - 1) % layout.ranks_per_trial == 0) mpi.send(r, kTagStop, "");
}

// A group root takes work from rank 0 and passes it on to its members; members take it from
// their root. Every rank of the group then trains the trial together.
void run_group(cluster::MpiContext& mpi, cluster::Group& group, const Executor& execute) {
  while (true) {
    cluster::Message m = group.rank() == 0 ? mpi.receive() : group.receive();
    if (group.rank() == 0)
      for (int r = 1; r < group.size(); ++r) group.send(r, m.tag, m.bytes);
    if (m.tag == kTagStop) return;
    if (m.tag != kTagAssign) continue;
    auto a = unpack<Assignment>(m.bytes);
    if (group.rank() != 0) {
      // The root reports the trial, including why it failed on any rank.
      execute_safely(a, group, execute, [](std::int64_t, const Metrics&) {});
      continue;
    }
    auto on_epoch = [&](std::int64_t epoch, const Metrics& v) {
      mpi.send(0, kTagEpoch, pack(EpochReport{a.trial_id, epoch, v}));
    };
    mpi.send(0, kTagResult, pack(execute_safely(a, group, execute, on_epoch)));
  }
}

}  // namespace

void run_trials(cluster::MpiContext& mpi, const cluster::Layout& layout,
                const std::vector<Assignment>& todo, Sink* sink, const Executor& execute) {
  cluster::Group group(mpi, layout);
  if (mpi.size() == 1)
    run_alone(group, todo, *sink, execute);
  else if (mpi.rank() == 0)
    run_master(mpi, layout, todo, *sink);
  else if (group.active())
    run_group(mpi, group, execute);
}

}  // namespace runner
