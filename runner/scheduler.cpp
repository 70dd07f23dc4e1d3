#include "runner/scheduler.h"

#include <deque>
#include <set>

#include "cluster/signals.h"

namespace runner {
namespace {

constexpr double kSignalCheckS = 0.2;  // how often rank 0 looks at the stop flag while it waits

// Runs one trial, turning any exception into a failed result that says where it happened.
TrialResult execute_safely(const Assignment& a, cluster::Group& group, const Executor& execute,
                           const TrialHooks& hooks) {
  TrialResult r;
  r.trial_id = a.trial_id;
  try {
    TrialOutput out = execute(a, group, hooks);
    r.outcome = out.interrupted ? Outcome::kInterrupted : Outcome::kCompleted;
    r.checkpoint = std::move(out.checkpoint);
    r.final_metrics = std::move(out.metrics);
    r.artifacts = std::move(out.artifacts);
  } catch (const std::exception& e) {
    auto& mpi = group.world();
    r.outcome = Outcome::kFailed;
    r.error =
        std::string(e.what()) + " [rank " + std::to_string(mpi.rank()) + " on " + mpi.host() + "]";
  }
  return r;
}

bool run_alone(cluster::Group& group, const std::vector<Assignment>& todo, Sink& sink,
               const Executor& execute) {
  for (const auto& planned : todo) {
    if (cluster::stop_requested()) return true;
    Assignment a = planned;
    a.checkpoint = sink.started(a, {0}, group.world().host());
    TrialHooks hooks;
    hooks.checkpoints = true;
    hooks.on_epoch = [&](std::int64_t epoch, const Metrics& v, const std::string& checkpoint) {
      sink.epoch({a.trial_id, epoch, v, checkpoint});
    };
    hooks.should_stop = cluster::stop_requested;
    TrialResult r = execute_safely(a, group, execute, hooks);
    sink.finished(r);
    if (r.outcome == Outcome::kInterrupted) return true;
  }
  return false;
}

bool run_master(cluster::MpiContext& mpi, const cluster::Layout& layout,
                const std::vector<Assignment>& todo, Sink& sink) {
  std::deque<int> idle;  // groups waiting for work
  for (int g = 0; g < layout.groups; ++g) idle.push_back(g);
  std::set<int> busy;
  std::size_t next = 0;
  bool stopping = false;
  auto stop_all = [&] {
    if (stopping) return;
    stopping = true;
    for (int g : busy) mpi.send(layout.members(g).front(), kTagInterrupt, "");
  };
  while ((next < todo.size() && !stopping) || !busy.empty()) {
    if (cluster::stop_requested()) stop_all();
    while (!stopping && !idle.empty() && next < todo.size()) {
      const int g = idle.front();
      const auto ranks = layout.members(g);
      idle.pop_front();
      Assignment a = todo[next++];
      a.checkpoint = sink.started(a, ranks, mpi.host_of(ranks.front()));
      mpi.send(ranks.front(), kTagAssign, pack(a));
      busy.insert(g);
    }
    if (busy.empty()) break;
    std::optional<cluster::Message> m = mpi.receive_for(kSignalCheckS);
    if (!m) continue;
    if (m->tag == kTagEpoch) {
      sink.epoch(unpack<EpochReport>(m->bytes));
    } else if (m->tag == kTagResult) {
      const auto r = unpack<TrialResult>(m->bytes);
      sink.finished(r);
      const int g = layout.group_of(m->source);
      busy.erase(g);
      idle.push_back(g);
      // A group stopped by its own signal: the others got it too, or soon will.
      if (r.outcome == Outcome::kInterrupted) stop_all();
    }
  }
  for (int r = 1; r < mpi.size(); ++r)
    if (layout.group_of(r) >= 0 && (r - 1) % layout.ranks_per_trial == 0) mpi.send(r, kTagStop, "");
  return stopping;
}

// A group root takes work from rank 0 and passes it on to its members; members take it from
// their root. Every rank of the group then trains the trial together.
void run_group(cluster::MpiContext& mpi, cluster::Group& group, const Executor& execute) {
  while (true) {
    cluster::Message m = group.rank() == 0 ? mpi.receive() : group.receive();
    if (group.rank() == 0)
      for (int r = 1; r < group.size(); ++r) group.send(r, m.tag, m.bytes);
    if (m.tag == kTagStop) return;
    if (m.tag != kTagAssign) continue;  // an interrupt that came after its trial had ended
    auto a = unpack<Assignment>(m.bytes);
    TrialHooks hooks;
    if (group.rank() != 0) {
      // The root reports the trial, including why it failed on any rank; a member stops when its
      // own signal says so, and the group agrees on it within the step.
      hooks.should_stop = cluster::stop_requested;
      execute_safely(a, group, execute, hooks);
      continue;
    }
    bool told_to_stop = false;
    hooks.should_stop = [&] {
      if (!told_to_stop && mpi.take_if_waiting(0, kTagInterrupt)) told_to_stop = true;
      return told_to_stop || cluster::stop_requested();
    };
    hooks.checkpoints = true;
    hooks.on_epoch = [&](std::int64_t epoch, const Metrics& v, const std::string& checkpoint) {
      mpi.send(0, kTagEpoch, pack(EpochReport{a.trial_id, epoch, v, checkpoint}));
    };
    mpi.send(0, kTagResult, pack(execute_safely(a, group, execute, hooks)));
  }
}

}  // namespace

bool run_trials(cluster::MpiContext& mpi, const cluster::Layout& layout,
                const std::vector<Assignment>& todo, Sink* sink, const Executor& execute) {
  cluster::Group group(mpi, layout);
  if (mpi.size() == 1) return run_alone(group, todo, *sink, execute);
  if (mpi.rank() == 0) return run_master(mpi, layout, todo, *sink);
  if (group.active()) run_group(mpi, group, execute);
  return false;
}

}  // namespace runner
