#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "search/sampler.h"

namespace search {
namespace {

using State = Observation::State;

Observation done(Point x, std::vector<double> values, double violation = 0) {
  Observation o;
  o.x = std::move(x);
  o.values = std::move(values);
  o.violation = violation;
  return o;
}

Observation with_state(Observation o, State s, std::int64_t step = 0) {
  o.state = s;
  o.step = step;
  return o;
}

const Space kSquare = {{"x", Param::Kind::kUniform, 0, 1}, {"y", Param::Kind::kUniform, 0, 1}};

TEST(Merit, OrderAsATable) {
  const std::vector<Observation> h = {
      done({0}, {3.0}),                                 // 0: feasible, third best
      with_state(done({0}, {0.1}), State::kPruned, 2),  // 1: pruned at epoch 2
      done({0}, {1.0}),                                 // 2: feasible, best
      done({0}, {0.5}, 2.0),                            // 3: infeasible, violating by 2
      with_state(done({0}, {}), State::kRunning),       // 4: still running
      with_state(done({0}, {0.2}), State::kPruned, 5),  // 5: pruned at epoch 5
      done({0}, {2.0}),                                 // 6: feasible, second best
      done({0}, {9.0}, 0.5),                            // 7: infeasible, violating by 0.5
  };
  EXPECT_EQ(order_by_merit(h), (std::vector<std::size_t>{2, 6, 0, 5, 1, 7, 3, 4}));
  EXPECT_EQ(order_by_merit(h, 2)[0], 2u);
  EXPECT_EQ(order_by_merit(h, 2)[1], 6u);
}

TEST(Merit, SeveralObjectivesByFrontThenSpread) {
  const std::vector<Observation> h = {done({0}, {2, 2}), done({0}, {3, 3}), done({0}, {1, 4}),
                                      done({0}, {4, 1}), done({0}, {2.5, 1.5})};
  const auto order = order_by_merit(h);
  // Front 0 first (extremes before the middle), then (3,3).
  EXPECT_EQ(order.back(), 1u);
  std::vector<std::size_t> front(order.begin(), order.begin() + 4);
  std::sort(front.begin(), front.end());
  EXPECT_EQ(front, (std::vector<std::size_t>{0, 2, 3, 4}));
}

TEST(Sampler, RandomPointsKeepToTheSpace) {
  const Space s = {{"lr", Param::Kind::kLogUniform, 1e-4, 1e-1},
                   {"n", Param::Kind::kInt, 2, 5},
                   {"act", Param::Kind::kChoice, 0, 0, 3}};
  std::mt19937_64 rng(3);
  std::vector<int> seen(4, 0);
  for (int i = 0; i < 500; ++i) {
    const Point x = random_point(s, rng);
    EXPECT_GE(x[0], 1e-4);
    EXPECT_LE(x[0], 1e-1);
    EXPECT_EQ(x[1], std::round(x[1]));
    EXPECT_GE(x[1], 2);
    EXPECT_LE(x[1], 5);
    ++seen[static_cast<int>(x[1]) - 2];
    EXPECT_TRUE(x[2] == 0 || x[2] == 1 || x[2] == 2);
  }
  for (int c : seen) EXPECT_GT(c, 50);  // both ends of the int range drawn
}

// A quadratic bowl around (0.3, 0.7): TPE's median regret after 30 trials, over seeds, against
// random search's.
double median_regret(SamplerOptions::Kind kind, const std::vector<Observation>& extra = {}) {
  std::vector<double> regrets;
  for (int seed = 0; seed < 15; ++seed) {
    std::vector<Observation> h = extra;
    double best = 1e9;
    for (int t = 0; t < 30; ++t) {
      SamplerOptions o;
      o.kind = kind;
      const Point x = propose(kSquare, h, o, static_cast<std::uint64_t>(seed * 100 + t));
      const double v = (x[0] - 0.3) * (x[0] - 0.3) + (x[1] - 0.7) * (x[1] - 0.7);
      best = std::min(best, v);
      h.push_back(done(x, {v}));
    }
    regrets.push_back(best);
  }
  std::sort(regrets.begin(), regrets.end());
  return regrets[regrets.size() / 2];
}

TEST(Sampler, TpeLearnsWhereRandomDoesNot) {
  EXPECT_LT(median_regret(SamplerOptions::Kind::kTpe),
            0.5 * median_regret(SamplerOptions::Kind::kRandom));
}

TEST(Sampler, SameHistoryAndSeedSamePoint) {
  std::vector<Observation> h;
  std::mt19937_64 rng(1);
  for (int i = 0; i < 20; ++i) h.push_back(done(random_point(kSquare, rng), {double(i % 7)}));
  EXPECT_EQ(propose(kSquare, h, {}, 42), propose(kSquare, h, {}, 42));
  EXPECT_NE(propose(kSquare, h, {}, 42), propose(kSquare, h, {}, 43));
  // Before `startup` finished trials, a proposal is a random point (running ones do not count).
  std::vector<Observation> few(h.begin(), h.begin() + 3);
  few.push_back(with_state(done({0.5, 0.5}, {}), State::kRunning));
  std::mt19937_64 same = rng_for(7);
  EXPECT_EQ(propose(kSquare, few, {}, 7), random_point(kSquare, same));
}

// Mean distance of proposals from (0.3, 0.7), the best trial seen.
double mean_distance(const std::vector<Observation>& h) {
  double sum = 0;
  for (int seed = 0; seed < 40; ++seed) {
    const Point x = propose(kSquare, h, {}, static_cast<std::uint64_t>(seed));
    sum += std::hypot(x[0] - 0.3, x[1] - 0.7);
  }
  return sum / 40;
}

TEST(Sampler, RunningTrialsSteerProposalsAway) {
  std::vector<Observation> h;
  std::mt19937_64 rng(5);
  for (int i = 0; i < 20; ++i) {
    const Point x = random_point(kSquare, rng);
    h.push_back(done(x, {std::hypot(x[0] - 0.3, x[1] - 0.7) + 0.05}));
  }
  h.push_back(done({0.3, 0.7}, {0.0}));
  const double alone = mean_distance(h);
  for (int k = 0; k < 8; ++k)  // eight ranks training at the best point's neighbours
    h.push_back(
        with_state(done({0.3 + 0.01 * (k % 3), 0.7 - 0.01 * (k / 3)}, {}), State::kRunning));
  EXPECT_GT(mean_distance(h), alone * 1.2);
}

// Minimise x with x >= 0.6 required: the share of proposals (after 20 trials) in the feasible
// region, and the best feasible x found.
std::pair<double, double> constrained_search(bool tell_violations) {
  const Space line = {{"x", Param::Kind::kUniform, 0, 1}};
  std::vector<Observation> h;
  int feasible = 0, asked = 0;
  double best = 1;
  for (int t = 0; t < 60; ++t) {
    const Point x = propose(line, h, {}, static_cast<std::uint64_t>(t));
    if (t >= 20) asked += 1, feasible += x[0] >= 0.6;
    if (x[0] >= 0.6) best = std::min(best, x[0]);
    h.push_back(done(x, {x[0]}, tell_violations ? std::max(0.0, 0.6 - x[0]) : 0.0));
  }
  return {static_cast<double>(feasible) / asked, best};
}

TEST(Sampler, LearnsWhereConstraintsFail) {
  // Infeasible trials rank below every feasible one: TPE searches along the boundary, where
  // about half its proposals hold; told nothing, it goes for x = 0 and rarely proposes a
  // feasible point.
  const auto [share, best] = constrained_search(true);
  const auto [blind_share, blind_best] = constrained_search(false);
  EXPECT_GT(share, 0.5);
  EXPECT_LT(best, 0.62);
  EXPECT_LT(blind_share, share / 2);
}

TEST(Sampler, BelowWeightsByHypervolumeShare) {
  // Measured from (3.3, 3.3), slightly beyond the worst, each covers alone: (1,3) 1 x 0.3,
  // (3,1) 0.3 x 1.9, (2,2.9) 1 x 0.1; shares of the largest.
  const std::vector<Observation> h = {done({0}, {1, 3}), done({0}, {3, 1}), done({0}, {2, 2.9})};
  const auto w = below_weights(h, {0, 1, 2});
  EXPECT_NEAR(w[0], 0.3 / 0.57, 1e-9);
  EXPECT_NEAR(w[1], 1.0, 1e-9);
  EXPECT_NEAR(w[2], 0.1 / 0.57, 1e-9);
  // One objective: equal weights.
  const std::vector<Observation> one = {done({0}, {1}), done({0}, {5})};
  EXPECT_EQ(below_weights(one, {0, 1}), (std::vector<double>{1, 1}));
}

}  // namespace
}  // namespace search
