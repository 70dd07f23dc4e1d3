#include "runner/scheduler.h"

#include <algorithm>
#include <chrono>
#include <deque>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "cluster/signals.h"
#include "util/poll.h"

namespace runner {
namespace {

using Clock = std::chrono::steady_clock;

constexpr double kSignalCheckS = 0.2;   // how often rank 0 looks at the stop flag while it waits
constexpr double kSilenceCheckS = 0.1;  // how often it looks for silent groups
constexpr double kPostedWaitS = 10;     // at the end, for the ranks to take their last messages
constexpr double kLookElsewhereS = 1;   // how often it looks again at trials other runs hold
constexpr std::size_t kReportsInFlight = 4;  // a group root's reports rank 0 has not taken yet

double seconds_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// Runs one trial, turning any exception into a failed result that says where it happened.
TrialResult execute_safely(const Assignment& a, cluster::Group& group, const Executor& execute,
                           const TrialHooks& hooks) {
  TrialResult r;
  r.trial_id = a.trial_id;
  try {
    TrialOutput out = execute(a, group, hooks);
    r.outcome = out.interrupted ? Outcome::kInterrupted
                : out.pruned    ? Outcome::kPruned
                                : Outcome::kCompleted;
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

// The trials this run may still train, in order, and those it found held by other runs. Each is
// claimed only when a group is free to train it, so runs sharing the database never repeat one.
class WorkQueue {
 public:
  WorkQueue(const std::vector<Assignment>& todo, Sink& sink)
      : queue_(todo.begin(), todo.end()), sink_(sink) {}

  // The next trial this run claims for `ranks`; none when every one left is held elsewhere.
  std::optional<Assignment> next(const std::vector<int>& ranks,
                                 const std::vector<std::string>& hosts) {
    while (!queue_.empty()) {
      Assignment a = std::move(queue_.front());
      queue_.pop_front();
      if (sink_.started(a, ranks, hosts)) return a;
      if (sink_.holder(a.trial_id) != results::Holder::kFinished)
        elsewhere_.push_back(std::move(a));
    }
    return std::nullopt;
  }
  // A trial whose group went silent: first in line again.
  void put_back(Assignment a) { queue_.push_front(std::move(a)); }
  bool has_work() const { return !queue_.empty(); }
  // Whether some trial left is held by a run that has missed renewals: it may be dead, and its
  // trials come free when its leases lapse, so this run waits for them.
  bool worth_waiting() const { return quiet_; }

  // Takes back the trials other runs released (interrupted, or lost with their run) and forgets
  // those they finished; at most every kLookElsewhereS, unless `now`.
  void look_elsewhere(bool now_anyway = false) {
    const auto now = Clock::now();
    if (elsewhere_.empty() || (!now_anyway && seconds_between(last_look_, now) < kLookElsewhereS))
      return;
    last_look_ = now;
    quiet_ = false;
    for (auto it = elsewhere_.begin(); it != elsewhere_.end();) {
      const auto holder = sink_.holder(it->trial_id);
      quiet_ = quiet_ || holder == results::Holder::kQuietRun;
      if (holder == results::Holder::kNobody) queue_.push_back(std::move(*it));
      if (holder == results::Holder::kNobody || holder == results::Holder::kFinished)
        it = elsewhere_.erase(it);
      else
        ++it;
    }
  }

 private:
  std::deque<Assignment> queue_;
  std::deque<Assignment> elsewhere_;
  Sink& sink_;
  Clock::time_point last_look_ = Clock::now();
  bool quiet_ = false;
};

RunEnd run_alone(cluster::Group& group, const std::vector<Assignment>& todo, Sink& sink,
                 const Executor& execute) {
  WorkQueue queue(todo, sink);
  RunEnd end;
  while (!(end.stopped = cluster::stop_requested())) {
    std::optional<Assignment> next = queue.next({0}, {group.world().host()});
    sink.flush();
    if (!next) {
      // Nothing else to do: look now (a run that has just died leaves its trials free).
      queue.look_elsewhere(/*now_anyway=*/true);
      if (queue.has_work()) continue;
      if (!queue.worth_waiting()) break;
      std::this_thread::sleep_for(std::chrono::duration<double>(kSignalCheckS));
      continue;
    }
    const Assignment& a = *next;
    TrialHooks hooks;
    hooks.checkpoints = true;
    bool goes_on = true, lost = false;
    hooks.on_epoch = [&](std::int64_t epoch, const Metrics& v, const std::string& checkpoint) {
      if (!sink.holds(a.trial_id)) {
        sink.lost(a.trial_id);
        lost = true;
      } else {
        goes_on = sink.epoch({a.trial_id, epoch, v, checkpoint});
      }
      sink.flush();
    };
    hooks.goes_on = [&](std::int64_t) { return goes_on && !lost; };
    hooks.should_stop = [&] { return lost || cluster::stop_requested(); };
    TrialResult r = execute_safely(a, group, execute, hooks);
    if (!lost && !sink.holds(a.trial_id)) {  // lost during its last epoch or its evaluation
      sink.lost(a.trial_id);
      lost = true;
    }
    if (lost) continue;  // the run that took it over records it
    sink.finished(r);
    sink.flush();
    if ((end.stopped = r.outcome == Outcome::kInterrupted)) break;
  }
  return end;
}

// Rank 0's scheduling loop: hands out work, takes the groups' news, and notices silent groups.
class Master {
 public:
  Master(cluster::MpiContext& mpi, const cluster::Layout& layout,
         const std::vector<Assignment>& todo, Sink& sink, const SchedulerOptions& options)
      : mpi_(mpi), layout_(layout), queue_(todo, sink), sink_(sink), opt_(options) {
    for (int g = 0; g < layout.count(); ++g) idle_.push_back(g);
  }

  RunEnd run() {
    // One commit per round: the news taken, and the trials handed out to the groups it freed.
    dispatch();
    flush_and_answer();
    while (!busy_.empty() || more_elsewhere()) {
      take_messages();
      mpi_.commands().reap_posted();
      notice_silence();
      if (cluster::stop_requested()) stop_all();
      queue_.look_elsewhere();
      dispatch();
      flush_and_answer();
    }
    // Silent groups too: one that was only slow ends cleanly (the message is small enough to be
    // buffered, so a hung one does not hold rank 0 here).
    for (int g = 0; g < layout_.count(); ++g)
      mpi_.commands().post(layout_.members(g).front(), kTagStop, "");
    if (!mpi_.commands().wait_posted(kPostedWaitS))
      std::cerr << "warning: some ranks did not take their last message within " << kPostedWaitS
                << " s" << std::endl;
    for (int g : silent_) end_.silent.push_back(layout_.members(g).front());
    end_.stopped = stopping_;
    return end_;
  }

 private:
  struct Busy {
    Assignment assignment;
    Clock::time_point heard;  // the last message from the group root
    // Handed out as soon as the group's previous trial ended (work was waiting): the group's
    // wait for it is dispatch latency, not a lack of work.
    bool at_once = false;
    bool lost = false;  // another run took the trial over: told to stop, nothing recorded
  };

  // With no group busy: whether trials other runs hold may still come to this run. It looks at
  // once, since a run that has just died leaves its trials free.
  bool more_elsewhere() {
    if (stopping_) return false;
    queue_.look_elsewhere(/*now_anyway=*/true);
    return queue_.has_work() || queue_.worth_waiting();
  }

  // Commits, then tells the group roots waiting for early-stopping verdicts what was decided.
  void flush_and_answer() {
    sink_.flush();
    for (auto& [root, v] : verdicts_) mpi_.commands().post(root, kTagVerdict, pack(v));
    verdicts_.clear();
  }

  void stop_all() {
    if (stopping_) return;
    stopping_ = true;
    for (const auto& [g, b] : busy_)
      mpi_.commands().post(layout_.members(g).front(), kTagInterrupt, "");
  }

  void dispatch() {
    while (!stopping_ && !idle_.empty() && queue_.has_work()) {
      const int g = idle_.front();
      const auto& ranks = layout_.members(g);
      std::vector<std::string> hosts;
      for (int r : ranks) hosts.push_back(mpi_.host_of(r));
      std::optional<Assignment> next = queue_.next(ranks, hosts);
      if (!next) break;
      idle_.pop_front();
      Assignment a = std::move(*next);
      mpi_.commands().post(ranks.front(), kTagAssign, pack(a));
      a.checkpoint.clear();  // kept for a hand-over, which reads the latest from the sink
      busy_[g] = {std::move(a), Clock::now(), work_was_waiting_.count(g) > 0};
      work_was_waiting_.erase(g);
    }
  }

  // The next message, then whatever keeps arriving within the commit window.
  void take_messages() {
    auto m = mpi_.reports().receive_for(kSignalCheckS);
    if (!m) return;
    const auto until = Clock::now() + std::chrono::duration<double>(opt_.commit_window_s);
    handle(*m);
    while (Clock::now() < until && (m = mpi_.reports().take_if_waiting())) handle(*m);
  }

  void handle(const cluster::Message& m) {
    const int g = layout_.group_of(m.source);
    auto it = busy_.find(g);
    if (it == busy_.end()) return;  // a silent group come back: its trial went elsewhere
    it->second.heard = Clock::now();
    if (m.tag == kTagEpoch) {
      const auto report = unpack<EpochReport>(m.bytes);
      const bool goes_on = !lost(g, it->second) && sink_.epoch(report);
      // Sent once the decision is committed (see flush_and_answer).
      if (it->second.assignment.early_stop)
        verdicts_.emplace_back(m.source, Verdict{report.trial_id, report.epoch, goes_on});
    } else if (m.tag == kTagResult) {
      const auto r = unpack<TrialResult>(m.bytes);
      if (r.dispatch_wait_s >= 0 && it->second.at_once) end_.waits_s.push_back(r.dispatch_wait_s);
      // Its trial ended, so an interrupt would reach its next one: the group is not told.
      const bool was_lost = lost(g, it->second, /*tell_group=*/false);
      if (!was_lost) sink_.finished(r);
      busy_.erase(it);
      idle_.push_back(g);
      if (queue_.has_work()) work_was_waiting_.insert(g);
      // A group stopped by its own signal: the others got it too, or soon will.
      if (r.outcome == Outcome::kInterrupted && !was_lost) stop_all();
    }
  }

  // Whether another run took the group's trial over. The first time it is noticed, the group is
  // told to stop (if its trial is still going).
  bool lost(int g, Busy& busy, bool tell_group = true) {
    if (busy.lost || sink_.holds(busy.assignment.trial_id)) return busy.lost;
    sink_.lost(busy.assignment.trial_id);
    if (tell_group)
      mpi_.commands().post(layout_.members(g).front(), kTagInterrupt, busy.assignment.trial_id);
    return busy.lost = true;
  }

  // A busy group silent past the heartbeat limit is written off: its trial goes back to the
  // front of the queue, and anything it sends later is ignored.
  void notice_silence() {
    const auto now = Clock::now();
    if (seconds_between(last_look_, now) < kSilenceCheckS) return;
    last_look_ = now;
    for (auto it = busy_.begin(); it != busy_.end();) {
      const double quiet = seconds_between(it->second.heard, now);
      if (quiet <= opt_.heartbeat_s) {
        ++it;
        continue;
      }
      const int root = layout_.members(it->first).front();
      std::ostringstream why;
      why << "rank " << root << " on " << mpi_.host_of(root) << " silent for "
          << static_cast<int>(quiet) << " s (cluster.heartbeat_s = " << opt_.heartbeat_s << ")";
      sink_.stale(it->second.assignment.trial_id, why.str());
      silent_.insert(it->first);
      if (!stopping_) queue_.put_back(std::move(it->second.assignment));
      it = busy_.erase(it);
    }
  }

  cluster::MpiContext& mpi_;
  const cluster::Layout& layout_;
  WorkQueue queue_;
  Sink& sink_;
  const SchedulerOptions opt_;
  std::deque<int> idle_;                        // groups waiting for work
  std::map<int, Busy> busy_;                    // group -> its trial
  std::set<int> silent_;                        // groups written off
  Clock::time_point last_look_ = Clock::now();  // for silent groups
  std::set<int> work_was_waiting_;  // idle groups whose previous trial ended with work queued
  std::vector<std::pair<int, Verdict>> verdicts_;  // to send after the next commit
  bool stopping_ = false;
  RunEnd end_;
};

// Sends a group root's news to rank 0 without waiting for rank 0 to take it (a report carries a
// checkpoint of megabytes), with at most kReportsInFlight not yet taken.
void send_report(cluster::MpiContext& mpi, int tag, std::string bytes) {
  auto& box = mpi.reports();
  box.reap_posted();
  if (box.posted() >= kReportsInFlight) box.wait_posted(-1);
  box.post(0, tag, std::move(bytes));
}

// Waits for rank 0's early-stopping verdict on an epoch the root reported; verdicts left over from
// earlier epochs or trials (their groups stopped before asking) are dropped.
bool verdict_on(cluster::MpiContext& mpi, const std::string& trial_id, std::int64_t epoch) {
  while (true) {
    std::optional<cluster::Message> m;
    util::poll_until(
        [&] { return (m = mpi.commands().take_if_waiting(0, kTagVerdict)).has_value(); }, -1,
        util::kMessageBackoff);
    const auto v = unpack<Verdict>(m->bytes);
    if (v.trial_id == trial_id && v.epoch == epoch) return v.goes_on;
  }
}

// The root's side of one trial: stop when rank 0 says so, report epochs, say it lives.
TrialHooks root_hooks(cluster::MpiContext& mpi, const Assignment& a, bool& told_to_stop) {
  TrialHooks hooks;
  const auto interval = std::chrono::duration<double>(a.heartbeat_s / 4);
  auto last_sent = std::make_shared<Clock::time_point>(Clock::now());
  hooks.should_stop = [&mpi, &told_to_stop, interval, last_sent, id = a.trial_id] {
    // One for another trial came after that trial had ended: dropped.
    while (auto m = mpi.commands().take_if_waiting(0, kTagInterrupt))
      told_to_stop = told_to_stop || m->bytes.empty() || m->bytes == id;
    if (Clock::now() - *last_sent > interval) {
      send_report(mpi, kTagHeartbeat, "");
      *last_sent = Clock::now();
    }
    return told_to_stop || cluster::stop_requested();
  };
  hooks.goes_on = [&mpi, id = a.trial_id](std::int64_t epoch) {
    return verdict_on(mpi, id, epoch);
  };
  hooks.checkpoints = true;
  hooks.on_epoch = [&mpi, id = a.trial_id, last_sent](std::int64_t epoch, const Metrics& v,
                                                      const std::string& checkpoint) {
    send_report(mpi, kTagEpoch, pack(EpochReport{id, epoch, v, checkpoint}));
    *last_sent = Clock::now();
  };
  return hooks;
}

// A group root takes work from rank 0 and passes it on to its members; members take it from
// their root. Every rank of the group then trains the trial together.
void run_group(cluster::MpiContext& mpi, cluster::Group& group, const Executor& execute) {
  auto idle_since = Clock::now();
  bool first = true;
  while (true) {
    cluster::Message m = group.rank() == 0 ? mpi.commands().receive() : group.receive();
    if (group.rank() == 0)
      for (int r = 1; r < group.size(); ++r) group.send(r, m.tag, m.bytes);
    if (m.tag == kTagStop) {
      mpi.reports().wait_posted(-1);
      return;
    }
    if (m.tag != kTagAssign) continue;  // an interrupt that came after its trial had ended
    const double waited = first ? -1 : seconds_between(idle_since, Clock::now());
    first = false;
    auto a = unpack<Assignment>(m.bytes);
    if (group.rank() != 0) {
      // The root reports the trial, including why it failed on any rank; a member stops when its
      // own signal says so, and the group agrees on it within the step.
      TrialHooks hooks;
      hooks.should_stop = cluster::stop_requested;
      execute_safely(a, group, execute, hooks);
      continue;
    }
    bool told_to_stop = false;
    TrialResult r = execute_safely(a, group, execute, root_hooks(mpi, a, told_to_stop));
    r.dispatch_wait_s = waited;
    send_report(mpi, kTagResult, pack(r));
    idle_since = Clock::now();
  }
}

// Rank 0's own group trains on a second thread while the main thread schedules. An error outside
// a trial (MPI failing under it) would leave the scheduler waiting for ever: end the job instead.
// The thread shares what it uses, so that a hung one can be left behind (the job then ends).
std::thread train_beside(cluster::MpiContext& mpi, std::shared_ptr<cluster::Group> group,
                         Executor execute) {
  return std::thread([&mpi, group, execute] {
    try {
      run_group(mpi, *group, execute);
    } catch (const std::exception& e) {
      std::cerr << "error: rank 0's training thread: " << e.what() << std::endl;
      mpi.abort(1);
    }
  });
}

}  // namespace

RunEnd run_trials(cluster::MpiContext& mpi, const cluster::Layout& layout,
                  const std::vector<Assignment>& todo, Sink* sink, const Executor& execute,
                  const SchedulerOptions& options) {
  auto group = std::make_shared<cluster::Group>(mpi, layout);
  if (mpi.size() == 1) return run_alone(*group, todo, *sink, execute);
  if (mpi.rank() != 0) {
    if (group->active()) run_group(mpi, *group, execute);
    return {};
  }
  std::thread trainer;
  if (group->active()) trainer = train_beside(mpi, group, execute);
  RunEnd end = Master(mpi, layout, todo, *sink, options).run();
  if (trainer.joinable()) {
    // Every group was told to stop, but a silent one may never hear it.
    if (std::find(end.silent.begin(), end.silent.end(), 0) != end.silent.end())
      trainer.detach();
    else
      trainer.join();
  }
  return end;
}

}  // namespace runner
