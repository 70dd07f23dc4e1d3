#pragma once
// Hands trials to free groups of ranks (see cluster::Layout). Rank 0 is the single writer of the
// store; it schedules on its main thread and, when MPI allows threads (MPI_THREAD_MULTIPLE),
// trains in its own group on a second thread, so N ranks give N training slots. With one process
// it trains the trials itself, one after the other.
//
// A stop signal (cluster/signals.h) on any rank ends the run early: rank 0 hands out nothing more
// and tells every busy group to stop after its current step; each group sends a checkpoint back,
// and the trial ends interrupted, to go on from there when the sweep is run again.
//
// Trials are claimed one at a time as groups come free, so that several runs on one database
// share the sweep (results/leases.h): a trial another run holds is passed over, looked at again
// every second, and taken over once that run finishes it, stops it or loses it. A run ends when
// nothing is left for it, leaving to live runs the trials they hold.
//
// With cluster.fuse = K > 1, a free group gets up to K pending trials of one shape at once
// (Assignment::shape, resuming from one point: runner/schedule/arrays.h), which it trains as one
// fused array (runner::train_array); each member is claimed, reported and recorded as if trained alone.
//
// A group root that goes silent for longer than heartbeat_s (hung, not dead: a dead rank ends the
// job through MPI) loses its trial: the trial is marked stale and handed to another group, and
// the group gets no more work.
#include <functional>
#include <string>
#include <vector>

#include "cluster/group.h"
#include "results/leases.h"
#include "runner/schedule/clock.h"
#include "runner/schedule/messages.h"

namespace runner {

// What rank 0 does with the news from the ranks that train: the store and the console. Called on
// rank 0's scheduling thread only.
class Sink {
 public:
  virtual ~Sink() = default;
  // Claims a trial for this run and hands it out; false when another run holds it or it has
  // ended (results/leases.h). Sets the encoded checkpoint it goes on from ("" for epoch 0) and
  // whether it was already stopped early at that checkpoint's epoch.
  virtual bool started(Assignment& a, const std::vector<int>& ranks,
                       const std::vector<std::string>& hosts) = 0;
  // Who holds a trial this run could not claim.
  virtual results::Holder holder(const std::string& trial_id) = 0;
  // Whether this run still holds a trial it trains: it loses it when its lease lapsed (the run
  // was suspended, say) and another run took the trial over. Then lost() says so; the trial
  // stops, and nothing more of it is recorded here.
  virtual bool holds(const std::string& trial_id) = 0;
  virtual void lost(const std::string& trial_id) = 0;
  // A search ([sweep.search]) proposes trials while the run goes. Whether it may propose more;
  // and a new trial, recorded in the transaction the next flush commits, to be claimed like any
  // other (false when it has no more).
  virtual bool may_propose() { return false; }
  virtual bool propose(Assignment& /*out*/) { return false; }
  // A trial claimed for an array it cannot join (it resumes from another point than the array's
  // first member) is set aside: still this run's, it goes to a later group.
  virtual void set_aside(const std::string& trial_id) = 0;
  // The trials claimed for one group form a fused array (two or more).
  virtual void formed_array(const std::vector<Assignment>& /*members*/) {}
  // Records an epoch; returns whether the trial goes on (early stopping; true when it is off).
  virtual bool epoch(const EpochReport& report) = 0;
  // After epoch(), for a trial that goes on: population-based training's decision on it there
  // (none for a trial of no population, or at an epoch where it does not decide).
  virtual Exploit exploit(const std::string& /*trial_id*/, std::int64_t /*epoch*/) { return {}; }
  virtual void finished(const TrialResult& result) = 0;
  // The group training this trial went silent; the trial will be handed out again.
  virtual void stale(const std::string& trial_id, const std::string& why) = 0;
  // Makes what the calls since the last flush recorded durable. The scheduler calls it after
  // taking the messages that had arrived (at most kCommitWindowS of them) and after handing out
  // work, so one commit serves many reports.
  virtual void flush() {}
};

// Trains one trial on a group (train_trial in production, cheap fakes in tests). Every rank of
// the group calls it; the group root's return value and epoch reports are the trial's.
using Executor = std::function<TrialOutput(const Assignment&, cluster::Group&, const TrialHooks&)>;
// Trains a fused array on a group (train_array in production): every rank calls it, each member
// with its own hooks, and `leave` for each member as it ends; throws when the whole array fails.
using ArrayExecutor = std::function<void(const std::vector<Assignment>&, cluster::Group&,
                                         const std::vector<TrialHooks>&, const LeaveCallback&)>;

struct SchedulerOptions {
  double heartbeat_s = 600;  // a busy group root silent this long loses its trial
  // How long rank 0 goes on taking messages that keep arriving before it commits them: bounds the
  // delay of a commit, while one commit serves every report of a burst. 0: commit each message.
  double commit_window_s = 0.005;
  std::int64_t fuse = 1;  // cluster.fuse: the most trials one group trains as a fused array
  const Clock* clock = nullptr;  // rank 0's clock; none: steady_clock()
};

struct RunEnd {
  bool stopped = false;     // by a signal, before every trial had finished
  std::vector<int> silent;  // world ranks of group roots that went silent
  // How long groups waited for their next trial, as they saw it (result sent to assignment
  // received), for trials handed out while work was queued: rank 0's dispatch latency.
  std::vector<double> waits_s;
};

// Runs every assignment once, or until stopped. Collective: every rank calls it with the same
// layout; only rank 0's `todo`, `sink` and `options` are used (others may pass nullptr). A trial
// that throws becomes a failed TrialResult naming the rank and host, and the sweep goes on.
// Meaningful on rank 0 only.
// Arrays need `execute_array`; without it every trial trains alone.
RunEnd run_trials(cluster::MpiContext& mpi, const cluster::Layout& layout,
                  const std::vector<Assignment>& todo, Sink* sink, const Executor& execute,
                  const SchedulerOptions& options = {}, const ArrayExecutor& execute_array = {});

}  // namespace runner
