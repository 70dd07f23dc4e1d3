#include "search/pareto.h"

#include <algorithm>
#include <limits>
#include <numeric>

namespace search {
namespace {

// The non-dominated points among `left`, for two objectives: sorted by the first, a point is
// dominated when an earlier one is strictly better in the second, or equal there and strictly
// better in the first.
std::vector<std::size_t> front_of_two(const std::vector<Objectives>& p,
                                      std::vector<std::size_t> left) {
  std::sort(left.begin(), left.end(), [&](std::size_t a, std::size_t b) {
    return p[a][0] != p[b][0] ? p[a][0] < p[b][0] : p[a][1] < p[b][1];
  });
  std::vector<std::size_t> front;
  double best = std::numeric_limits<double>::infinity(), first_at_best = 0;
  for (std::size_t i : left) {
    const bool dominated = best < p[i][1] || (best == p[i][1] && first_at_best < p[i][0]);
    if (dominated) continue;
    front.push_back(i);
    if (p[i][1] < best) best = p[i][1], first_at_best = p[i][0];
  }
  return front;
}

std::vector<std::size_t> front_of_many(const std::vector<Objectives>& p,
                                       const std::vector<std::size_t>& left) {
  std::vector<std::size_t> front;
  for (std::size_t i : left) {
    bool dominated = false;
    for (std::size_t j : left)
      if (j != i && dominates(p[j], p[i])) {
        dominated = true;
        break;
      }
    if (!dominated) front.push_back(i);
  }
  return front;
}

// Hypervolume by slicing along the last objective; `points` are inside the reference box.
double slices(std::vector<Objectives>& points, const Objectives& ref, std::size_t dims) {
  if (points.empty()) return 0;
  const std::size_t last = dims - 1;
  std::sort(points.begin(), points.end(),
            [&](const Objectives& a, const Objectives& b) { return a[last] < b[last]; });
  if (dims == 1) return ref[0] - points.front()[0];
  double volume = 0;
  std::vector<Objectives> below;
  for (std::size_t i = 0; i < points.size(); ++i) {
    below.push_back(points[i]);
    const double top = i + 1 < points.size() ? points[i + 1][last] : ref[last];
    if (top <= points[i][last]) continue;
    std::vector<Objectives> copy = below;
    volume += (top - points[i][last]) * slices(copy, ref, dims - 1);
  }
  return volume;
}

}  // namespace

bool dominates(const Objectives& a, const Objectives& b) {
  bool better = false;
  for (std::size_t k = 0; k < a.size(); ++k) {
    if (a[k] > b[k]) return false;
    better = better || a[k] < b[k];
  }
  return better;
}

std::vector<int> front_ranks(const std::vector<Objectives>& points, std::size_t enough) {
  const std::size_t n = points.size();
  if (enough == 0 || enough > n) enough = n;
  std::vector<int> rank(n, -1);
  std::vector<std::size_t> left(n);
  std::iota(left.begin(), left.end(), 0);
  const bool two = n > 0 && points[0].size() == 2;
  std::size_t ranked = 0;
  for (int r = 0; ranked < enough && !left.empty(); ++r) {
    const auto front = two ? front_of_two(points, left) : front_of_many(points, left);
    for (std::size_t i : front) rank[i] = r;
    ranked += front.size();
    left.erase(
        std::remove_if(left.begin(), left.end(), [&](std::size_t i) { return rank[i] >= 0; }),
        left.end());
    if (ranked >= enough)
      for (std::size_t i : left) rank[i] = r + 1;
  }
  return rank;
}

std::vector<double> crowding(const std::vector<Objectives>& points,
                             const std::vector<std::size_t>& members) {
  const std::size_t m = members.size();
  std::vector<double> distance(m, 0);
  if (m == 0) return distance;
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<std::size_t> order(m);
  for (std::size_t k = 0; k < points[members[0]].size(); ++k) {
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return points[members[a]][k] < points[members[b]][k];
    });
    const double span = points[members[order.back()]][k] - points[members[order.front()]][k];
    distance[order.front()] = distance[order.back()] = inf;
    if (span <= 0) continue;
    for (std::size_t i = 1; i + 1 < m; ++i)
      distance[order[i]] +=
          (points[members[order[i + 1]]][k] - points[members[order[i - 1]]][k]) / span;
  }
  return distance;
}

double hypervolume(std::vector<Objectives> points, const Objectives& reference) {
  points.erase(std::remove_if(points.begin(), points.end(),
                              [&](const Objectives& p) {
                                for (std::size_t k = 0; k < p.size(); ++k)
                                  if (!(p[k] < reference[k])) return true;
                                return false;
                              }),
               points.end());
  return slices(points, reference, reference.size());
}

std::vector<double> hypervolume_contributions(const std::vector<Objectives>& points,
                                              const std::vector<std::size_t>& members,
                                              const Objectives& reference) {
  std::vector<Objectives> all;
  for (std::size_t i : members) all.push_back(points[i]);
  const double whole = hypervolume(all, reference);
  std::vector<double> out;
  for (std::size_t k = 0; k < all.size(); ++k) {
    std::vector<Objectives> without = all;
    without.erase(without.begin() + static_cast<std::ptrdiff_t>(k));
    out.push_back(whole - hypervolume(std::move(without), reference));
  }
  return out;
}

}  // namespace search
