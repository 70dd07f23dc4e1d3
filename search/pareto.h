#pragma once
// Orders among vectors of objectives to minimise: Pareto dominance, non-dominated fronts, crowding
// and hypervolume. Shared by the samplers, early stopping with several objectives, and the reports.
#include <cstddef>
#include <vector>

namespace search {

using Objectives = std::vector<double>;

// Whether `a` is no worse than `b` in every objective and better in one.
bool dominates(const Objectives& a, const Objectives& b);

// The front each point lies on: 0 for the non-dominated ones, 1 for those only they dominate, ...
// Fronts are peeled until `enough` points are ranked (the rest get the next rank); 0: all of them.
// Two objectives take O(n log n) per front.
std::vector<int> front_ranks(const std::vector<Objectives>& points, std::size_t enough = 0);

// The crowding distance (Deb et al. 2002) of each point within the group `members` (indices into
// `points`, typically one front): infinite at the extremes, larger where neighbours are farther.
std::vector<double> crowding(const std::vector<Objectives>& points,
                             const std::vector<std::size_t>& members);

// The hypervolume the points dominate up to `reference` (points outside it count for nothing).
// Exact for any number of objectives (slicing); meant for fronts of up to a few hundred points.
double hypervolume(std::vector<Objectives> points, const Objectives& reference);

// What each point of `members` alone adds to their hypervolume.
std::vector<double> hypervolume_contributions(const std::vector<Objectives>& points,
                                              const std::vector<std::size_t>& members,
                                              const Objectives& reference);

}  // namespace search
