#include <gtest/gtest.h>

#include <cmath>

#include "search/pareto.h"

namespace search {
namespace {

TEST(Pareto, DominanceAsATable) {
  struct Row {
    Objectives a, b;
    bool a_dominates_b;
  };
  const Row rows[] = {
      {{1, 1}, {2, 2}, true},        {{1, 2}, {2, 2}, true},  {{2, 2}, {2, 2}, false},
      {{1, 3}, {2, 2}, false},       {{2, 2}, {1, 1}, false}, {{0, 0, 1}, {0, 0, 2}, true},
      {{0, 1, 0}, {1, 0, 0}, false},
  };
  for (const auto& r : rows) EXPECT_EQ(dominates(r.a, r.b), r.a_dominates_b);
}

TEST(Pareto, FrontsTwoObjectives) {
  // Front 0: (1,4) (2,2) (4,1); front 1: (3,3) (2,5); front 2: (4,4); (2,2) twice is one front.
  const std::vector<Objectives> p = {{3, 3}, {1, 4}, {2, 2}, {4, 1}, {2, 5}, {4, 4}, {2, 2}};
  EXPECT_EQ(front_ranks(p), (std::vector<int>{1, 0, 0, 0, 1, 2, 0}));
  // Peeling stops once `enough` are ranked: the rest share the next rank.
  EXPECT_EQ(front_ranks(p, 3), (std::vector<int>{1, 0, 0, 0, 1, 1, 0}));
}

TEST(Pareto, FrontsThreeObjectivesMatchTheDefinition) {
  std::vector<Objectives> p;
  for (int i = 0; i < 40; ++i)
    p.push_back({std::fmod(i * 0.37, 1.0), std::fmod(i * 0.61, 1.0), std::fmod(i * 0.13, 1.0)});
  const auto rank = front_ranks(p);
  for (std::size_t i = 0; i < p.size(); ++i) {
    bool dominated = false;
    for (std::size_t j = 0; j < p.size(); ++j) dominated = dominated || dominates(p[j], p[i]);
    EXPECT_EQ(rank[i] == 0, !dominated) << i;
    // Every point of a later front is dominated by one of the front before it.
    if (rank[i] == 0) continue;
    bool by_previous = false;
    for (std::size_t j = 0; j < p.size(); ++j)
      by_previous = by_previous || (rank[j] == rank[i] - 1 && dominates(p[j], p[i]));
    EXPECT_TRUE(by_previous) << i;
  }
}

TEST(Pareto, Hypervolume) {
  EXPECT_DOUBLE_EQ(hypervolume({{1, 2}, {2, 1}}, {3, 3}), 3.0);
  EXPECT_DOUBLE_EQ(hypervolume({{1, 2}, {2, 1}, {2, 2}}, {3, 3}), 3.0);  // dominated: nothing
  EXPECT_DOUBLE_EQ(hypervolume({{4, 0}}, {3, 3}), 0.0);                  // outside the box
  EXPECT_DOUBLE_EQ(hypervolume({{0, 0, 0}}, {2, 3, 4}), 24.0);
  // Two boxes of 8 overlapping in a 1x2x2 slab: 8 + 8 - 4.
  EXPECT_DOUBLE_EQ(hypervolume({{0, 0, 0}, {1, 0, 0}}, {2, 2, 2}), 8.0);
  EXPECT_DOUBLE_EQ(hypervolume({{0, 1, 1}, {1, 0, 0}}, {2, 2, 2}), 2 + 4 - 1);
}

TEST(Pareto, ContributionsAndCrowding) {
  const std::vector<Objectives> p = {{1, 3}, {2, 2}, {3, 1}};
  const auto c = hypervolume_contributions(p, {0, 1, 2}, {4, 4});
  EXPECT_DOUBLE_EQ(c[0], 1.0);
  EXPECT_DOUBLE_EQ(c[1], 1.0);
  EXPECT_DOUBLE_EQ(c[2], 1.0);
  const auto d = crowding(p, {0, 1, 2});
  EXPECT_TRUE(std::isinf(d[0]));
  EXPECT_TRUE(std::isinf(d[2]));
  EXPECT_DOUBLE_EQ(d[1], 2.0);  // (3-1)/2 in each objective
}

}  // namespace
}  // namespace search
