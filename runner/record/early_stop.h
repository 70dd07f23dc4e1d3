#pragma once
// Early stopping, decided by rank 0 from the series it records ([sweep.early_stop]). After every
// epoch report of a trial it judges at, rank 0 decides whether the trial goes on, records the
// decision in the same transaction as the report, and tells the group root, which waits for it.
// A stopped trial ends `pruned`, with final metrics of the model at the epoch where it stopped.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "results/store.h"
#include "sweeps/config.h"
#include "util/metrics.h"

namespace runner {

// Whether the rule judges a trial at `epoch`: ASHA at its rungs, grace_epochs * reduction^k
// (rounded to the nearest epoch); the median rule at every epoch from grace_epochs on.
bool judges_at(const sweeps::EarlyStopConfig& c, std::int64_t epoch);

// ASHA's stopping variant (Li et al., MLSys 2020): a trial that reaches a rung goes on only if its
// `value` is among the best 1/reduction of the values recorded at that rung so far, its own
// included: at least as good as their (1 - 1/reduction) quantile from the worst end (linear
// interpolation between order statistics). `recorded`: the other trials' values at the rung.
bool asha_keeps(const sweeps::EarlyStopConfig& c, double value, std::vector<double> recorded);

// The median stopping rule (Golovin et al., Vizier, KDD 2017): a trial whose best value up to
// epoch s is strictly worse than the median of the other trials' running averages up to s is
// stopped, once at least min_trials others have reached s. `others`: those running averages.
bool median_keeps(const sweeps::EarlyStopConfig& c, double best, std::vector<double> others);

// ASHA with several series (EarlyStopConfig::objectives): the trials at a rung, this one
// included, are ordered by non-dominated front and, within a front, by crowding distance (largest
// first; the ends of a front first), as search::order_by_merit orders them; the trial goes on if
// it is among the first ceil(n / reduction). On a tie it goes first. `own` and each of `others`
// hold one value per objective.
bool pareto_keeps(const sweeps::EarlyStopConfig& c, const std::vector<double>& own,
                  const std::vector<std::vector<double>>& others);

// Rank 0's judge: reads what the store holds of the sweep and records each decision in it.
class EarlyStopper {
 public:
  EarlyStopper(results::Store& store, std::string sweep, sweeps::EarlyStopConfig config)
      : store_(store), sweep_(std::move(sweep)), c_(std::move(config)) {}
  bool enabled() const { return c_.kind != sweeps::EarlyStopKind::kNone; }
  // Whether the trial goes on after `epoch`, whose series is `values` (already in the store).
  // A decision recorded before (by a run that was killed) stands.
  bool goes_on(const std::string& trial_id, std::int64_t epoch, const util::Metrics& values);

 private:
  bool goes_on_by_front(const std::string& trial_id, std::int64_t epoch,
                        const util::Metrics& values);
  results::Store& store_;
  const std::string sweep_;
  const sweeps::EarlyStopConfig c_;
};

}  // namespace runner
