#include "runner/schedule/rank0.h"

#include <deque>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "cluster/signals.h"
#include "runner/schedule/messages.h"
#include "runner/schedule/work_queue.h"

namespace runner {
namespace {

constexpr double kSignalCheckS = 0.2;   // how often rank 0 looks at the stop flag while it waits
constexpr double kSilenceCheckS = 0.1;  // how often it looks for silent groups
constexpr double kPostedWaitS = 10;     // at the end, for the ranks to take their last messages

// Rank 0's scheduling loop: hands out work, takes the groups' news, and notices silent groups.
class Master {
 public:
  Master(cluster::MpiContext& mpi, const cluster::Layout& layout,
         const std::vector<Assignment>& todo, Sink& sink, const SchedulerOptions& options)
      : mpi_(mpi),
        layout_(layout),
        clock_(options.clock ? *options.clock : steady_clock()),
        queue_(todo, sink, clock_),
        sink_(sink),
        opt_(options),
        last_look_(clock_.now_s()) {
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
    double heard = 0;            // the last message from the group root (clock seconds)
    // Handed out as soon as the group's previous work ended (work was waiting): the group's
    // wait for it is dispatch latency, not a lack of work.
    bool at_once = false;
    // Verdicts by epoch, held until every member still training has reported it: the root asks
    // for them only after all its reports, and each member is judged with its array-mates'
    // results of the same epoch (population-based training), whatever the timing.
    std::map<std::int64_t, std::vector<Verdict>> held;
  };

  // Releases the verdicts of the epochs every member of the group still training has reported.
  void release_held(int g, Busy& busy) {
    std::size_t training = 0;
    for (const auto& a : busy.members)
      training += busy.ended.count(a.trial_id) == 0 && busy.lost.count(a.trial_id) == 0 ? 1 : 0;
    for (auto it = busy.held.begin(); it != busy.held.end();) {
      if (it->second.size() < training) {
        ++it;
        continue;
      }
      for (auto& v : it->second) verdicts_.emplace_back(layout_.members(g).front(), std::move(v));
      it = busy.held.erase(it);
    }
  }

  // With no group busy: whether trials other runs hold may still come to this run. It looks at
  // once, since a run that has just died leaves its trials free.
  bool more_elsewhere() {
    if (stopping_) return false;
    queue_.look_elsewhere(/*now_anyway=*/true);
    return queue_.has_work() || queue_.worth_waiting();
  }

  // Commits, then tells the group roots waiting for verdicts what was decided. Population-based
  // training decides here, once every report taken with this one is recorded: the members of an
  // array report together, and each is judged against the others' epoch.
  void flush_and_answer() {
    for (auto& [root, v] : verdicts_) {
      if (!v.goes_on) continue;
      // A decision that cannot be taken leaves the member as it is, not the run stopped.
      try {
        v.exploit = sink_.exploit(v.trial_id, v.epoch);
      } catch (const std::exception& e) {
        std::cerr << "warning: no population decision on trial " << v.trial_id << " after epoch "
                  << v.epoch << ": " << e.what() << "; it keeps its weights and keys" << std::endl;
      }
    }
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
      busy_[g] = {std::move(next), {}, {}, clock_.now_s(), work_was_waiting_.count(g) > 0, {}};
      work_was_waiting_.erase(g);
    }
  }

  // The next message, then whatever keeps arriving within the commit window.
  void take_messages() {
    auto m = mpi_.reports().receive_for(kSignalCheckS);
    if (!m) return;
    const double until = clock_.now_s() + opt_.commit_window_s;
    handle(*m);
    while (clock_.now_s() < until && (m = mpi_.reports().take_if_waiting())) handle(*m);
  }

  void handle(const cluster::Message& m) {
    const int g = layout_.group_of(m.source);
    auto it = busy_.find(g);
    if (it == busy_.end()) return;  // a silent group come back: its trial went elsewhere
    Busy& busy = it->second;
    busy.heard = clock_.now_s();
    if (m.tag == kTagEpoch) {
      const auto report = unpack<EpochReport>(m.bytes);
      const bool goes_on = !lost(g, busy, report.trial_id) && sink_.epoch(report);
      // Sent once the decision is committed (see flush_and_answer).
      if (busy.members.front().early_stop) {
        busy.held[report.epoch].push_back(Verdict{report.trial_id, report.epoch, goes_on, {}});
        release_held(g, busy);
      }
    } else if (m.tag == kTagResult) {
      const auto r = unpack<TrialResult>(m.bytes);
      if (r.dispatch_wait_s >= 0 && busy.at_once) end_.waits_s.push_back(r.dispatch_wait_s);
      // It has ended, so an interrupt for it would come too late: the group is not told.
      const bool was_lost = lost(g, busy, r.trial_id, /*tell_group=*/false);
      if (!was_lost) sink_.finished(r);
      busy.ended.insert(r.trial_id);
      release_held(g, busy);
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
    release_held(g, busy);
    return true;
  }

  // A busy group silent past the heartbeat limit is written off: its trial goes back to the
  // front of the queue, and anything it sends later is ignored.
  void notice_silence() {
    const double now = clock_.now_s();
    if (now - last_look_ < kSilenceCheckS) return;
    last_look_ = now;
    for (auto it = busy_.begin(); it != busy_.end();) {
      const double quiet = now - it->second.heard;
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
  const Clock& clock_;
  WorkQueue queue_;
  Sink& sink_;
  const SchedulerOptions opt_;
  std::deque<int> idle_;                        // groups waiting for work
  std::map<int, Busy> busy_;                    // group -> its work
  std::set<int> silent_;                        // groups written off
  double last_look_;                            // for silent groups
  std::set<int> work_was_waiting_;  // idle groups whose previous trial ended with work queued
  std::vector<std::pair<int, Verdict>> verdicts_;  // to send after the next commit
  bool stopping_ = false;
  RunEnd end_;
};

}  // namespace

RunEnd schedule_on_rank0(cluster::MpiContext& mpi, const cluster::Layout& layout,
                         const std::vector<Assignment>& todo, Sink& sink,
                         const SchedulerOptions& options) {
  return Master(mpi, layout, todo, sink, options).run();
}

}  // namespace runner
