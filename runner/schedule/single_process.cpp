#include "runner/schedule/single_process.h"

#include <chrono>
#include <thread>

#include "cluster/signals.h"
#include "runner/schedule/work_queue.h"

namespace runner {
namespace {

constexpr double kLookAgainS = 0.2;  // how long it waits, with nothing to do, before looking again

// Trains the members on this process and records them; true when they were interrupted.
bool train_here(cluster::Group& group, const std::vector<Assignment>& members, Sink& sink,
                const Executors& ex) {
  const std::size_t n = members.size();
  std::vector<char> goes_on(n, 1), lost(n, 0);
  auto lose = [&](std::size_t k) {
    sink.lost(members[k].trial_id);
    lost[k] = 1;
  };
  std::vector<TrialHooks> hooks(n);
  for (std::size_t k = 0; k < n; ++k) {
    const std::string& id = members[k].trial_id;
    hooks[k].checkpoints = true;
    hooks[k].on_epoch = [&, k, id](std::int64_t epoch, const Metrics& v, const std::string& c) {
      if (!sink.holds(id))
        lose(k);
      else
        goes_on[k] = sink.epoch({id, epoch, v, c});
      sink.flush();
    };
    hooks[k].goes_on = [&, k](std::int64_t) { return goes_on[k] && !lost[k]; };
    // Asked once every member of the array has reported the epoch.
    hooks[k].exploit = [&, k, id](std::int64_t epoch) {
      if (!goes_on[k] || lost[k]) return Exploit{};
      Exploit e = sink.exploit(id, epoch);
      sink.flush();
      return e;
    };
    hooks[k].should_stop = [&, k] { return lost[k] || cluster::stop_requested(); };
  }
  bool interrupted = false;
  execute_members(members, group, ex, hooks, [&](std::size_t k, TrialResult r) {
    if (!lost[k] && !sink.holds(r.trial_id)) lose(k);  // lost in its last epoch or evaluation
    if (lost[k]) return;                               // the run that took it over records it
    sink.finished(r);
    sink.flush();
    interrupted = interrupted || r.outcome == Outcome::kInterrupted;
  });
  return interrupted;
}

}  // namespace

// One process: trains what it claims itself, one trial or array after another.
RunEnd run_alone(cluster::Group& group, const std::vector<Assignment>& todo, Sink& sink,
                 const Executors& ex, std::int64_t fuse) {
  WorkQueue queue(todo, sink, steady_clock());
  RunEnd end;
  while (!(end.stopped = cluster::stop_requested())) {
    const std::vector<Assignment> members = queue.next_array({0}, {group.world().host()}, fuse);
    sink.flush();
    if (members.empty()) {
      // Nothing else to do: look now (a run that has just died leaves its trials free).
      queue.look_elsewhere(/*now_anyway=*/true);
      if (queue.has_work()) continue;
      if (!queue.worth_waiting()) break;
      std::this_thread::sleep_for(std::chrono::duration<double>(kLookAgainS));
      continue;
    }
    if ((end.stopped = train_here(group, members, sink, ex))) break;
  }
  return end;
}

}  // namespace runner
