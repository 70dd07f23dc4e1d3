#pragma once
// Population-based training on rank 0 (Jaderberg et al. 2017; [sweep.search] sampler = "pbt"),
// asynchronous as Ray Tune's: a member reaching one of its decision epochs is judged against the
// latest result of every other member of its population, with no barrier, so a slow rank holds
// nobody up. In the bottom quantile it exploits: it takes the weights and Adam state of a member
// of the top quantile, drawn at random, and that member's keys; then it explores: each changing
// key times (1 - perturb) or (1 + perturb), or, with probability resample, drawn anew from the
// space, kept within it. Every decision is recorded (results/population.h) in the transaction of
// the report that led to it.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "results/population.h"
#include "results/store.h"
#include "runner/plan.h"
#include "runner/trial.h"

namespace runner {

// The member `target` takes its state from, given where each member stands (value minimised; one
// without a value stands last), or none: it does when it is among the bottom ceil(quantile * n)
// of the n members with a value, from one of the top ceil(quantile * n) that `can_source` allows,
// drawn with `rng`. Ties are broken by trial id.
std::optional<std::size_t> choose_source(const std::vector<results::Standing>& all,
                                         std::size_t target, double quantile,
                                         const std::function<bool(std::size_t)>& can_source,
                                         std::mt19937_64& rng);

// Explore: each key (of `space`) times (1 - perturb) or (1 + perturb), or drawn anew with
// probability `resample`, then kept within its range.
util::Metrics explore(const util::Metrics& keys, const std::vector<sweeps::Distribution>& space,
                      double perturb, double resample, std::mt19937_64& rng);

class Population {
 public:
  // `latest(trial_id)`: the trial's checkpoint as rank 0 last saved it ("" if none).
  using LatestCheckpoint = std::function<std::string(const std::string& trial_id)>;
  Population(results::Store& store, const Plan& plan, LatestCheckpoint latest);
  // A member's epoch was recorded with its checkpoint: what another member may take from it.
  void reported(const std::string& trial_id, std::int64_t epoch, const std::string& checkpoint);
  // The decision on a member after its `epoch`, recorded in the open transaction, or the one
  // recorded already (a member that trains that epoch again meets the same decision).
  Exploit decide(const std::string& trial_id, std::int64_t epoch);
  // A member resuming from its checkpoint: its keys as the decisions before it left them, and
  // the decision at the checkpoint's epoch, taken after the checkpoint was captured.
  void resume(Assignment& a) const;

 private:
  // The keys a member trained with in the epoch after `epoch` (its config's before a decision).
  util::Metrics keys_after(const std::string& trial_id, std::int64_t epoch) const;
  // The source's checkpoint and the epoch it stands at, or none if it has no whole-epoch one.
  std::optional<std::pair<std::string, std::int64_t>> state_of(const std::string& trial_id) const;

  results::Store& store_;
  const Plan& plan_;
  LatestCheckpoint latest_;
  std::string metric_;
  bool maximize_ = false;
  std::map<std::string, std::pair<std::int64_t, std::string>> reported_;  // this run's latest
};

}  // namespace runner
