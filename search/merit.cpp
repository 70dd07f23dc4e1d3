// The order of trials from best to worst, shared by TPE's split and the reports.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "search/pareto.h"
#include "search/sampler.h"

namespace search {
namespace {

using State = Observation::State;

// Slightly beyond the worst of `points` in every objective: where hypervolumes among them are
// measured from.
Objectives reference_beyond(const std::vector<Objectives>& points,
                            const std::vector<std::size_t>& members) {
  Objectives ref = points[members[0]];
  for (std::size_t i : members)
    for (std::size_t k = 0; k < ref.size(); ++k) ref[k] = std::max(ref[k], points[i][k]);
  for (double& r : ref) r = r == 0 ? 1e-12 : std::max(1.1 * r, 0.9 * r);
  return ref;
}

// Keys for `members` (one front) whose `want` largest are a subset covering much hypervolume:
// chosen one by one, each adding the most to what those before it cover.
std::vector<double> greedy_cover(const std::vector<Objectives>& points,
                                 const std::vector<std::size_t>& members, std::size_t want) {
  const Objectives ref = reference_beyond(points, members);
  std::vector<double> key(members.size(), -1);
  std::vector<Objectives> chosen;
  double covered = 0;
  for (std::size_t step = 0; step < want && step < members.size(); ++step) {
    std::size_t best = 0;
    double best_gain = -1;
    for (std::size_t k = 0; k < members.size(); ++k) {
      if (key[k] >= 0) continue;
      chosen.push_back(points[members[k]]);
      const double gain = hypervolume(chosen, ref) - covered;
      chosen.pop_back();
      if (gain > best_gain) best_gain = gain, best = k;
    }
    key[best] = static_cast<double>(want - step);
    chosen.push_back(points[members[best]]);
    covered += best_gain;
  }
  return key;
}

// Feasible finished trials, best first: by value, or by front and then crowding distance.
void order_finished(const std::vector<Observation>& h, std::vector<std::size_t>& ids,
                    std::size_t exact) {
  if (ids.empty()) return;
  if (h[ids[0]].values.size() == 1) {
    // Ties go to the earlier trial, so that the order is the same whatever the sort.
    const auto better = [&](std::size_t a, std::size_t b) {
      return h[a].values[0] != h[b].values[0] ? h[a].values[0] < h[b].values[0] : a < b;
    };
    if (exact > 0 && exact < ids.size())
      std::partial_sort(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(exact), ids.end(),
                        better);
    else
      std::sort(ids.begin(), ids.end(), better);
    return;
  }
  std::vector<Objectives> points;
  for (std::size_t i : ids) points.push_back(h[i].values);
  const auto rank = front_ranks(points, exact);
  const int last = *std::max_element(rank.begin(), rank.end());
  std::vector<double> key(ids.size(), 0);  // within a front, larger first
  std::size_t ranked = 0;
  for (int r = 0; r <= last; ++r) {
    std::vector<std::size_t> members;
    for (std::size_t k = 0; k < ids.size(); ++k)
      if (rank[k] == r) members.push_back(k);
    // The front that `exact` cuts through: the subset that covers the most hypervolume first
    // (chosen greedily, as MOTPE does), since that is what TPE's split takes.
    const bool cut = exact > 0 && ranked < exact && ranked + members.size() > exact;
    const auto d = cut ? greedy_cover(points, members, exact - ranked) : crowding(points, members);
    for (std::size_t k = 0; k < members.size(); ++k) key[members[k]] = d[k];
    ranked += members.size();
  }
  std::vector<std::size_t> order(ids.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return rank[a] != rank[b] ? rank[a] < rank[b] : key[a] > key[b];
  });
  std::vector<std::size_t> sorted;
  for (std::size_t k : order) sorted.push_back(ids[k]);
  ids = std::move(sorted);
}

}  // namespace

std::vector<std::size_t> order_by_merit(const std::vector<Observation>& h, std::size_t exact) {
  std::vector<std::size_t> feasible, pruned, infeasible, running;
  for (std::size_t i = 0; i < h.size(); ++i) {
    if (h[i].state == State::kRunning)
      running.push_back(i);
    else if (h[i].state == State::kPruned)
      pruned.push_back(i);
    else
      (h[i].violation > 0 ? infeasible : feasible).push_back(i);
  }
  order_finished(h, feasible, exact);
  std::stable_sort(pruned.begin(), pruned.end(), [&](std::size_t a, std::size_t b) {
    if (h[a].step != h[b].step) return h[a].step > h[b].step;
    return h[a].values.at(0) < h[b].values.at(0);
  });
  std::stable_sort(infeasible.begin(), infeasible.end(),
                   [&](std::size_t a, std::size_t b) { return h[a].violation < h[b].violation; });
  std::vector<std::size_t> out = feasible;
  for (const auto* group : {&pruned, &infeasible, &running})
    out.insert(out.end(), group->begin(), group->end());
  return out;
}

std::size_t below_count(std::size_t finished) {
  const auto tenth = static_cast<std::size_t>(std::ceil(0.1 * static_cast<double>(finished)));
  return std::max<std::size_t>(1, std::min<std::size_t>(tenth, 25));
}

std::vector<double> below_weights(const std::vector<Observation>& history,
                                  const std::vector<std::size_t>& below) {
  std::vector<double> w(below.size(), 1.0);
  std::vector<Objectives> points;
  std::vector<std::size_t> members;  // the feasible finished ones; others keep a token weight
  for (std::size_t k = 0; k < below.size(); ++k) {
    const auto& o = history[below[k]];
    if (o.state != State::kComplete || o.violation > 0) {
      w[k] = 1e-12;
      continue;
    }
    points.push_back(o.values);
    members.push_back(points.size() - 1);
  }
  if (points.empty() || points[0].size() < 2 || points.size() < 2) return w;
  const auto c = hypervolume_contributions(points, members, reference_beyond(points, members));
  const double top = *std::max_element(c.begin(), c.end()) + 1e-12;
  for (std::size_t k = 0, j = 0; k < below.size(); ++k)
    if (w[k] == 1.0) w[k] = std::clamp((c[j++] + 1e-12) / top, 0.0, 1.0);
  return w;
}

}  // namespace search
