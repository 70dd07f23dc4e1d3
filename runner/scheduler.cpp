#include "runner/scheduler.h"

#include <algorithm>
#include <chrono>
#include <deque>
#include <iostream>
#include <map>
#include <memory>
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

RunEnd run_alone(cluster::Group& group, const std::vector<Assignment>& todo, Sink& sink,
                 const Executor& execute) {
  for (const auto& planned : todo) {
    if (cluster::stop_requested()) return {true, {}, {}};
    Assignment a = planned;
    sink.started(a, {0}, {group.world().host()});
    sink.flush();
    TrialHooks hooks;
    hooks.checkpoints = true;
    bool goes_on = true;
    hooks.on_epoch = [&](std::int64_t epoch, const Metrics& v, const std::string& checkpoint) {
      goes_on = sink.epoch({a.trial_id, epoch, v, checkpoint});
      sink.flush();
    };
    hooks.goes_on = [&](std::int64_t) { return goes_on; };
    hooks.should_stop = cluster::stop_requested;
    TrialResult r = execute_safely(a, group, execute, hooks);
    sink.finished(r);
    sink.flush();
    if (r.outcome == Outcome::kInterrupted) return {true, {}, {}};
  }
  return {};
}

// Rank 0's scheduling loop: hands out work, takes the groups' news, and notices silent groups.
class Master {
 public:
  Master(cluster::MpiContext& mpi, const cluster::Layout& layout,
         const std::vector<Assignment>& todo, Sink& sink, const SchedulerOptions& options)
      : mpi_(mpi), layout_(layout), queue_(todo.begin(), todo.end()), sink_(sink), opt_(options) {
    for (int g = 0; g < layout.count(); ++g) idle_.push_back(g);
  }

  RunEnd run() {
    // One commit per round: the news taken, and the trials handed out to the groups it freed.
    dispatch();
    flush_and_answer();
    while (!busy_.empty()) {
      take_messages();
      mpi_.commands().reap_posted();
      notice_silence();
      if (cluster::stop_requested()) stop_all();
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
  };

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
    while (!stopping_ && !idle_.empty() && !queue_.empty()) {
      const int g = idle_.front();
      idle_.pop_front();
      const auto& ranks = layout_.members(g);
      std::vector<std::string> hosts;
      for (int r : ranks) hosts.push_back(mpi_.host_of(r));
      Assignment a = std::move(queue_.front());
      queue_.pop_front();
      sink_.started(a, ranks, hosts);
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
      const bool goes_on = sink_.epoch(report);
      // Sent once the decision is committed (see flush_and_answer).
      if (it->second.assignment.early_stop)
        verdicts_.emplace_back(m.source, Verdict{report.trial_id, report.epoch, goes_on});
    } else if (m.tag == kTagResult) {
      const auto r = unpack<TrialResult>(m.bytes);
      if (r.dispatch_wait_s >= 0 && it->second.at_once) end_.waits_s.push_back(r.dispatch_wait_s);
      sink_.finished(r);
      busy_.erase(it);
      idle_.push_back(g);
      if (!queue_.empty()) work_was_waiting_.insert(g);
      // A group stopped by its own signal: the others got it too, or soon will.
      if (r.outcome == Outcome::kInterrupted) stop_all();
    }
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
      if (!stopping_) queue_.push_front(std::move(it->second.assignment));
      it = busy_.erase(it);
    }
  }

  cluster::MpiContext& mpi_;
  const cluster::Layout& layout_;
  std::deque<Assignment> queue_;
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
  hooks.should_stop = [&mpi, &told_to_stop, interval, last_sent] {
    if (!told_to_stop && mpi.commands().take_if_waiting(0, kTagInterrupt)) told_to_stop = true;
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
