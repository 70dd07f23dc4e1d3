#pragma once
// Hands trials to free groups of ranks. With one process, it trains them itself; with several,
// rank 0 only schedules and records (it is the single writer of the store), and ranks 1..N-1 train
// in groups of cluster.ranks_per_trial (see cluster::Layout).
//
// A stop signal (cluster/signals.h) on any rank ends the run early: rank 0 hands out nothing more
// and tells every busy group to stop after its current step; each group sends a checkpoint back,
// and the trial ends interrupted, to go on from there when the sweep is run again.
#include <functional>
#include <string>
#include <vector>

#include "cluster/group.h"
#include "runner/messages.h"

namespace runner {

// What rank 0 does with the news from the ranks that train: the store and the console.
class Sink {
 public:
  virtual ~Sink() = default;
  // A trial is handed out. Returns the encoded checkpoint it goes on from, or "" for epoch 0.
  virtual std::string started(const Assignment& a, const std::vector<int>& ranks,
                              const std::string& host) = 0;
  virtual void epoch(const EpochReport& report) = 0;
  virtual void finished(const TrialResult& result) = 0;
};

// Trains one trial on a group (train_trial in production, cheap fakes in tests). Every rank of
// the group calls it; the group root's return value and epoch reports are the trial's.
using Executor = std::function<TrialOutput(const Assignment&, cluster::Group&, const TrialHooks&)>;

// Runs every assignment once, or until stopped. Collective: every rank calls it with the same
// layout; only rank 0's `todo` and `sink` are used (others may pass nullptr). A trial that throws
// becomes a failed TrialResult naming the rank and host, and the sweep goes on. Returns, on rank 0,
// whether the run was stopped before every trial had finished.
bool run_trials(cluster::MpiContext& mpi, const cluster::Layout& layout,
                const std::vector<Assignment>& todo, Sink* sink, const Executor& execute);

}  // namespace runner
