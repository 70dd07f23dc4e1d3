#pragma once
// Samplers: the next point to try in a space, given every trial seen so far.
//
// `tpe` is multivariate TPE (Bergstra et al. 2011; one joint kernel per trial as in Falkner et
// al. 2018): the trials seen are split into the best few (`below`, about a tenth, at most 25)
// and the rest (`above`); a Parzen estimator is fitted to each, `candidates` points are drawn
// from the first, and the one with the highest ratio l(x)/g(x) is proposed.
//
// What "best" means (order_by_merit): finished feasible trials by their objective, or with
// several objectives by non-dominated front and, within a front, by crowding distance (NSGA-II's
// order), except that the front the `below` set cuts through is ordered so that its first
// trials cover the most hypervolume (MOTPE's choice); then trials pruned early, those that went
// further first; then infeasible ones, least violating first; last the trials still running.
// Running trials are thus always in `above` (a constant liar): hundreds of ranks asking at once are
// steered away from the points being trained, instead of all getting the same one.
#include <cstdint>
#include <random>
#include <vector>

#include "search/space.h"

namespace search {

struct SamplerOptions {
  enum class Kind { kRandom, kTpe };
  Kind kind = Kind::kTpe;
  int startup = 10;     // trials (finished or pruned) drawn at random before TPE takes over
  int candidates = 24;  // points drawn from l(x) and scored, per proposal
};

// The next point; the same (space, history, options, seed) give the same point.
Point propose(const Space& space, const std::vector<Observation>& history,
              const SamplerOptions& options, std::uint64_t seed);

// Whether propose() learns from `history` (TPE past its startup) instead of drawing at random.
bool learns(const std::vector<Observation>& history, const SamplerOptions& options);

Point random_point(const Space& space, std::mt19937_64& rng);
// The generator propose() draws from for `seed`.
std::mt19937_64 rng_for(std::uint64_t seed);

// Indices of `history`, best first (see above). Only the first `exact` are in their exact order
// (0: all); the rest follow in some order, after them.
std::vector<std::size_t> order_by_merit(const std::vector<Observation>& history,
                                        std::size_t exact = 0);

// The weights of TPE's `below` trials (indices into `history`): equal with one objective; with
// several, each feasible trial's share of the hypervolume they cover (MOTPE).
std::vector<double> below_weights(const std::vector<Observation>& history,
                                  const std::vector<std::size_t>& below);

// How many of `finished` trials form TPE's `below` set.
std::size_t below_count(std::size_t finished);

}  // namespace search
