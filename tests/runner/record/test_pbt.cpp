// Population-based training's rules on rank 0 (runner/record/pbt.h), as tables: who copies whom,
// and how keys are explored.
#include <gtest/gtest.h>

#include "runner/record/pbt.h"

namespace {

using results::Standing;

std::vector<Standing> standings(const std::vector<std::optional<double>>& values) {
  std::vector<Standing> out;
  for (std::size_t i = 0; i < values.size(); ++i)
    out.push_back({"t" + std::to_string(i), 3, values[i], "running", ""});
  return out;
}

std::optional<std::size_t> source(const std::vector<std::optional<double>>& values,
                                  std::size_t target, double quantile = 0.25,
                                  std::function<bool(std::size_t)> can = nullptr) {
  std::mt19937_64 rng(7);
  return runner::choose_source(
      standings(values), target, quantile, can ? can : [](std::size_t) { return true; }, rng);
}

TEST(Pbt, TheBottomQuantileTakesFromTheTop) {
  const std::vector<std::optional<double>> v = {0.5, 0.1, 0.9, 0.3};  // best: t1, worst: t2
  EXPECT_EQ(source(v, 2), 1u) << "the worst of 4 takes the best (ceil(0.25 * 4) = 1)";
  for (std::size_t k : {0u, 1u, 3u}) EXPECT_FALSE(source(v, k)) << k;
  for (std::size_t k : {0u, 2u}) {
    const auto s = source(v, k, 0.5);
    EXPECT_TRUE(s == 1u || s == 3u) << "quantile 0.5: the bottom two take from the top two";
  }
  EXPECT_FALSE(source(v, 3, 0.5)) << "second best is in the top half";
}

TEST(Pbt, WithoutAValueAMemberStandsLastAndNoneTakesFromIt) {
  const std::vector<std::optional<double>> v = {0.5, std::nullopt, 0.2};
  EXPECT_EQ(source(v, 1), 2u) << "no value (not finite: diverged) stands last, and takes";
  EXPECT_EQ(source(v, 0), 2u) << "ceil(0.25 * 2) = 1: the worst of the two with values";
  EXPECT_FALSE(source(v, 2)) << "the best";
  EXPECT_FALSE(source({0.5, std::nullopt}, 0)) << "one member with a value decides nothing";
}

TEST(Pbt, OnlyMembersWhoseStateCanBeTakenAreSources) {
  const std::vector<std::optional<double>> v = {0.5, 0.1, 0.9, 0.3};
  EXPECT_FALSE(source(v, 2, 0.25, [](std::size_t i) { return i != 1; }))
      << "the top member has no checkpoint to take";
  EXPECT_EQ(source(v, 2, 0.5, [](std::size_t i) { return i != 1; }), 3u);
}

TEST(Pbt, TiesGoByTrialId) {
  EXPECT_EQ(source({0.2, 0.2, 0.2, 0.2}, 3), 0u) << "t3 is last among equals, t0 first";
}

TEST(Pbt, ExploreStaysInTheSpace) {
  std::vector<sweeps::Distribution> space(1);
  space[0].path = "train.lr";
  space[0].kind = sweeps::Distribution::Kind::LogUniform;
  space[0].low = 1e-4;
  space[0].high = 1e-2;
  std::mt19937_64 rng(3);
  int up = 0, down = 0, anew = 0;
  for (int i = 0; i < 400; ++i) {
    const double v = runner::explore({{"train.lr", 1e-3}}, space, 0.2, 0.25, rng)[0].second;
    EXPECT_GE(v, 1e-4);
    EXPECT_LE(v, 1e-2);
    up += v == 1e-3 * 1.2;
    down += v == 1e-3 * 0.8;
    anew += v != 1e-3 * 1.2 && v != 1e-3 * 0.8;
  }
  EXPECT_NEAR(anew / 400.0, 0.25, 0.07);
  EXPECT_NEAR(up, down, 60);
  const double at_top = runner::explore({{"train.lr", 1e-2}}, space, 0.2, 0, rng)[0].second;
  EXPECT_TRUE(at_top == 1e-2 || at_top == 1e-2 * 0.8) << "clamped at the space's end";
}

}  // namespace
