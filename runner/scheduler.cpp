#include "runner/scheduler.h"

#include <algorithm>
#include <chrono>
#include <deque>
#include <exception>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <thread>
#include <unordered_map>

#include "cluster/signals.h"
#include "models/fused.h"
#include "runner/checkpoint.h"
#include "sweeps/schema.h"
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

TrialResult failed_result(const Assignment& a, const std::string& what, cluster::Group& group) {
  auto& mpi = group.world();
  TrialResult r;
  r.trial_id = a.trial_id;
  r.outcome = Outcome::kFailed;
  r.error = what + " [rank " + std::to_string(mpi.rank()) + " on " + mpi.host() + "]";
  return r;
}

TrialResult result_of(const Assignment& a, TrialOutput out, cluster::Group& group) {
  if (!out.error.empty()) return failed_result(a, out.error, group);
  TrialResult r;
  r.trial_id = a.trial_id;
  r.outcome = out.interrupted ? Outcome::kInterrupted
              : out.pruned    ? Outcome::kPruned
                              : Outcome::kCompleted;
  r.checkpoint = std::move(out.checkpoint);
  r.final_metrics = std::move(out.metrics);
  r.artifacts = std::move(out.artifacts);
  return r;
}

// How a group trains what it is handed: one trial, or a fused array.
struct Executors {
  Executor one;
  ArrayExecutor array;
};

// Trains `members` (one trial, or a fused array) on the group; `leave(k, result)` gets each
// member's result as it ends, a failed one for any exception in training, naming the rank and
// host. What `leave` itself throws (the store failing) is not a trial's failure: it propagates.
void execute_members(const std::vector<Assignment>& members, cluster::Group& group,
                     const Executors& ex, const std::vector<TrialHooks>& hooks,
                     const std::function<void(std::size_t, TrialResult)>& leave) {
  if (members.size() == 1) {
    TrialResult r;
    try {
      r = result_of(members[0], ex.one(members[0], group, hooks[0]), group);
    } catch (const std::exception& e) {
      r = failed_result(members[0], e.what(), group);
    }
    return leave(0, std::move(r));
  }
  std::vector<char> left(members.size(), 0);
  std::exception_ptr leave_failed;
  try {
    ex.array(members, group, hooks, [&](std::size_t k, TrialOutput out) {
      left[k] = 1;
      try {
        leave(k, result_of(members[k], std::move(out), group));
      } catch (...) {
        if (!leave_failed) leave_failed = std::current_exception();
      }
    });
  } catch (const std::exception& e) {
    for (std::size_t k = 0; k < members.size() && !leave_failed; ++k)
      if (!left[k]) leave(k, failed_result(members[k], e.what(), group));
  }
  if (leave_failed) std::rethrow_exception(leave_failed);
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
      if (claim(a, ranks, hosts)) return a;
    }
    return std::nullopt;
  }
  // The next trials this run claims for `ranks`: the next one, and when `fuse` > 1 and its model
  // fuses, up to fuse - 1 more of its shape that resume from the same point, in queue order.
  // None when every trial left is held elsewhere.
  std::vector<Assignment> next_array(const std::vector<int>& ranks,
                                     const std::vector<std::string>& hosts, std::int64_t fuse) {
    std::optional<Assignment> first = next(ranks, hosts);
    if (!first) return {};
    std::vector<Assignment> array;
    array.push_back(std::move(*first));
    if (fuse <= 1 || !models::unfusable_reason(array[0].config.model).empty()) return array;
    const std::string shape = shape_of(array[0]);
    const std::string point = resume_point(array[0]);
    std::deque<Assignment> later;  // claimed, but resuming from elsewhere: set aside
    for (auto it = queue_.begin(); it != queue_.end() && array.size() < std::size_t(fuse);) {
      if (shape_of(*it) != shape) {
        ++it;
        continue;
      }
      Assignment a = std::move(*it);
      it = queue_.erase(it);
      if (!claim(a, ranks, hosts)) continue;
      if (resume_point(a) == point) {
        array.push_back(std::move(a));
      } else {
        sink_.set_aside(a.trial_id);
        later.push_back(std::move(a));
      }
    }
    queue_.insert(queue_.begin(), later.begin(), later.end());
    if (array.size() > 1) sink_.formed_array(array);
    return array;
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
  // Claims `a`; a trial another run holds is set aside, one that has ended is forgotten.
  bool claim(Assignment& a, const std::vector<int>& ranks, const std::vector<std::string>& hosts) {
    if (sink_.started(a, ranks, hosts)) return true;
    if (sink_.holder(a.trial_id) != results::Holder::kFinished) elsewhere_.push_back(std::move(a));
    return false;
  }

  const std::string& shape_of(const Assignment& a) {
    auto& shape = shapes_[a.trial_id];
    if (shape.empty()) shape = sweeps::array_shape(a.config);
    return shape;
  }

  // Where a claimed trial starts: from scratch, from a checkpoint's step, or stopped early (which
  // joins no array).
  static std::string resume_point(const Assignment& a) {
    if (a.stopped_early) return "stopped early " + a.trial_id;
    if (a.checkpoint.empty()) return "";
    const Checkpoint c = decode_checkpoint(a.checkpoint, "trial " + a.trial_id);
    return std::to_string(c.stage) + "/" + std::to_string(c.series_epoch) + "/" +
           std::to_string(c.next_sample) + "/" + std::to_string(c.adam_steps);
  }

  std::deque<Assignment> queue_;
  std::deque<Assignment> elsewhere_;
  std::unordered_map<std::string, std::string> shapes_;  // trial id -> sweeps::array_shape
  Sink& sink_;
  Clock::time_point last_look_ = Clock::now();
  bool quiet_ = false;
};

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

// One process: trains what it claims itself, one trial or array after another.
RunEnd run_alone(cluster::Group& group, const std::vector<Assignment>& todo, Sink& sink,
                 const Executors& ex, std::int64_t fuse) {
  WorkQueue queue(todo, sink);
  RunEnd end;
  while (!(end.stopped = cluster::stop_requested())) {
    const std::vector<Assignment> members = queue.next_array({0}, {group.world().host()}, fuse);
    sink.flush();
    if (members.empty()) {
      // Nothing else to do: look now (a run that has just died leaves its trials free).
      queue.look_elsewhere(/*now_anyway=*/true);
      if (queue.has_work()) continue;
      if (!queue.worth_waiting()) break;
      std::this_thread::sleep_for(std::chrono::duration<double>(kSignalCheckS));
      continue;
    }
    if ((end.stopped = train_here(group, members, sink, ex))) break;
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
    std::vector<Assignment> members;  // one trial, or a fused array
    std::set<std::string> ended;      // members whose results came
    std::set<std::string> lost;  // members another run took over: told to stop, nothing recorded
    Clock::time_point heard;     // the last message from the group root
    // Handed out as soon as the group's previous work ended (work was waiting): the group's
    // wait for it is dispatch latency, not a lack of work.
    bool at_once = false;
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
      std::vector<Assignment> next = queue_.next_array(ranks, hosts, opt_.fuse);
      if (next.empty()) break;
      idle_.pop_front();
      mpi_.commands().post(ranks.front(), kTagAssign, pack(next));
      // Kept for a hand-over, which reads the latest checkpoint from the sink.
      for (auto& a : next) a.checkpoint.clear();
      busy_[g] = {std::move(next), {}, {}, Clock::now(), work_was_waiting_.count(g) > 0};
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
    Busy& busy = it->second;
    busy.heard = Clock::now();
    if (m.tag == kTagEpoch) {
      const auto report = unpack<EpochReport>(m.bytes);
      const bool goes_on = !lost(g, busy, report.trial_id) && sink_.epoch(report);
      // Sent once the decision is committed (see flush_and_answer).
      if (busy.members.front().early_stop)
        verdicts_.emplace_back(m.source, Verdict{report.trial_id, report.epoch, goes_on});
    } else if (m.tag == kTagResult) {
      const auto r = unpack<TrialResult>(m.bytes);
      if (r.dispatch_wait_s >= 0 && busy.at_once) end_.waits_s.push_back(r.dispatch_wait_s);
      // It has ended, so an interrupt for it would come too late: the group is not told.
      const bool was_lost = lost(g, busy, r.trial_id, /*tell_group=*/false);
      if (!was_lost) sink_.finished(r);
      busy.ended.insert(r.trial_id);
      if (busy.ended.size() == busy.members.size()) {
        busy_.erase(it);
        idle_.push_back(g);
        if (queue_.has_work()) work_was_waiting_.insert(g);
      }
      // A group stopped by its own signal: the others got it too, or soon will.
      if (r.outcome == Outcome::kInterrupted && !was_lost) stop_all();
    }
  }

  // Whether another run took this member of the group's work over. The first time it is
  // noticed, the group is told to stop it (if it is still going).
  bool lost(int g, Busy& busy, const std::string& trial_id, bool tell_group = true) {
    if (busy.lost.count(trial_id) > 0) return true;
    if (sink_.holds(trial_id)) return false;
    sink_.lost(trial_id);
    if (tell_group) mpi_.commands().post(layout_.members(g).front(), kTagInterrupt, trial_id);
    busy.lost.insert(trial_id);
    return true;
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
      silent_.insert(it->first);
      auto& members = it->second.members;
      for (auto a = members.rbegin(); a != members.rend(); ++a) {  // back in their order
        if (it->second.ended.count(a->trial_id) > 0 || it->second.lost.count(a->trial_id) > 0)
          continue;
        sink_.stale(a->trial_id, why.str());
        if (!stopping_) queue_.put_back(std::move(*a));
      }
      it = busy_.erase(it);
    }
  }

  cluster::MpiContext& mpi_;
  const cluster::Layout& layout_;
  WorkQueue queue_;
  Sink& sink_;
  const SchedulerOptions opt_;
  std::deque<int> idle_;                        // groups waiting for work
  std::map<int, Busy> busy_;                    // group -> its work
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

// What a group root hears from rank 0 while it trains, shared by the hooks of its trial or of
// every member of its array.
struct RootInbox {
  std::set<std::string> told;  // members rank 0 told to stop (another run took them over)
  bool all = false;            // told to stop everything (the run stops)
  // Early-stopping verdicts by (trial, epoch), kept until their member asks for them.
  std::map<std::pair<std::string, std::int64_t>, bool> verdicts;
  Clock::time_point last_sent = Clock::now();  // the root's last message to rank 0
};

// Waits for rank 0's early-stopping verdict on an epoch the root reported. The members of an array
// ask in turn, so a verdict for another is kept for it.
bool verdict_on(cluster::MpiContext& mpi, RootInbox& inbox, const std::string& trial_id,
                std::int64_t epoch) {
  const auto key = std::make_pair(trial_id, epoch);
  while (inbox.verdicts.count(key) == 0) {
    std::optional<cluster::Message> m;
    util::poll_until(
        [&] { return (m = mpi.commands().take_if_waiting(0, kTagVerdict)).has_value(); }, -1,
        util::kMessageBackoff);
    const auto v = unpack<Verdict>(m->bytes);
    inbox.verdicts[{v.trial_id, v.epoch}] = v.goes_on;
  }
  return inbox.verdicts[key];
}

// The root's side of one trial, or of one member of an array: stop when rank 0 says so, report
// epochs, say it lives.
TrialHooks root_hooks(cluster::MpiContext& mpi, const Assignment& a,
                      const std::shared_ptr<RootInbox>& inbox) {
  TrialHooks hooks;
  const auto interval = std::chrono::duration<double>(a.heartbeat_s / 4);
  hooks.should_stop = [&mpi, interval, inbox, id = a.trial_id] {
    // One for a trial that has ended is dropped with the inbox.
    while (auto m = mpi.commands().take_if_waiting(0, kTagInterrupt)) {
      if (m->bytes.empty())
        inbox->all = true;
      else
        inbox->told.insert(m->bytes);
    }
    if (Clock::now() - inbox->last_sent > interval) {
      send_report(mpi, kTagHeartbeat, "");
      inbox->last_sent = Clock::now();
    }
    return inbox->all || inbox->told.count(id) > 0 || cluster::stop_requested();
  };
  hooks.goes_on = [&mpi, inbox, id = a.trial_id](std::int64_t epoch) {
    return verdict_on(mpi, *inbox, id, epoch);
  };
  hooks.checkpoints = true;
  hooks.on_epoch = [&mpi, inbox, id = a.trial_id](std::int64_t epoch, const Metrics& v,
                                                  const std::string& checkpoint) {
    send_report(mpi, kTagEpoch, pack(EpochReport{id, epoch, v, checkpoint}));
    inbox->last_sent = Clock::now();
  };
  return hooks;
}

// A group root takes work from rank 0 and passes it on to its members; members take it from
// their root. Every rank of the group then trains it together: one trial, or a fused array.
void run_group(cluster::MpiContext& mpi, cluster::Group& group, const Executors& ex) {
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
    double waited = first ? -1 : seconds_between(idle_since, Clock::now());
    first = false;
    const auto members = unpack<std::vector<Assignment>>(m.bytes);
    std::vector<TrialHooks> hooks(members.size());
    if (group.rank() != 0) {
      // The root reports the trials, including why they failed on any rank; a member stops when
      // its own signal says so, and the group agrees on it within the step.
      for (auto& h : hooks) h.should_stop = cluster::stop_requested;
      execute_members(members, group, ex, hooks, [](std::size_t, TrialResult) {});
      continue;
    }
    const auto inbox = std::make_shared<RootInbox>();
    for (std::size_t k = 0; k < members.size(); ++k) hooks[k] = root_hooks(mpi, members[k], inbox);
    execute_members(members, group, ex, hooks, [&](std::size_t, TrialResult r) {
      r.dispatch_wait_s = waited;  // the group's first result carries it
      waited = -1;
      send_report(mpi, kTagResult, pack(r));
    });
    idle_since = Clock::now();
  }
}

// Rank 0's own group trains on a second thread while the main thread schedules. An error outside
// a trial (MPI failing under it) would leave the scheduler waiting for ever: end the job instead.
// The thread shares what it uses, so that a hung one can be left behind (the job then ends).
std::thread train_beside(cluster::MpiContext& mpi, std::shared_ptr<cluster::Group> group,
                         Executors ex) {
  return std::thread([&mpi, group, ex] {
    try {
      run_group(mpi, *group, ex);
    } catch (const std::exception& e) {
      std::cerr << "error: rank 0's training thread: " << e.what() << std::endl;
      mpi.abort(1);
    }
  });
}

}  // namespace

RunEnd run_trials(cluster::MpiContext& mpi, const cluster::Layout& layout,
                  const std::vector<Assignment>& todo, Sink* sink, const Executor& execute,
                  const SchedulerOptions& options, const ArrayExecutor& execute_array) {
  const Executors ex{execute, execute_array};
  SchedulerOptions opt = options;
  if (!execute_array) opt.fuse = 1;
  auto group = std::make_shared<cluster::Group>(mpi, layout);
  if (mpi.size() == 1) return run_alone(*group, todo, *sink, ex, opt.fuse);
  if (mpi.rank() != 0) {
    if (group->active()) run_group(mpi, *group, ex);
    return {};
  }
  std::thread trainer;
  if (group->active()) trainer = train_beside(mpi, group, ex);
  RunEnd end = Master(mpi, layout, todo, *sink, opt).run();
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
