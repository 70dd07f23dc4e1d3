#pragma once
// Hands trials to free ranks. With one rank, rank 0 trains them itself; with several, rank 0 only
// schedules and records (it is the single writer of the store) and every other rank trains.
#include <functional>
#include <string>
#include <vector>

#include "runner/messages.h"

namespace cluster {
class MpiContext;
}

namespace runner {

// What rank 0 does with the news from the ranks that train: the store and the console.
class Sink {
 public:
  virtual ~Sink() = default;
  virtual void started(const Assignment& a, const std::vector<int>& ranks, const std::string& host) = 0;
  virtual void epoch(const EpochReport& report) = 0;
  virtual void finished(const TrialResult& result) = 0;
};

// Trains one trial; the default is train_trial. Tests swap in cheap fakes.
using Executor = std::function<Metrics(const Assignment&, const EpochCallback&)>;

// Runs every assignment exactly once. Collective: every rank calls it; only rank 0's `todo` and
// `sink` are used (others may pass nullptr). A trial that throws becomes a failed TrialResult,
// and the sweep goes on.
void run_trials(cluster::MpiContext& mpi, const std::vector<Assignment>& todo, Sink* sink,
                const Executor& execute);

}  // namespace runner
