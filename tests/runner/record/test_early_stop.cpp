// Early stopping's rules against cases worked by hand from the algorithms (ASHA: Li et al. 2020,
// stopping variant; the median rule: Golovin et al. 2017), and the judge against a real store.
#include <gtest/gtest.h>
#include <unistd.h>

#include "runner/record/early_stop.h"

namespace {

sweeps::EarlyStopConfig config(sweeps::EarlyStopKind kind, sweeps::Goal mode) {
  sweeps::EarlyStopConfig c;
  c.kind = kind;
  c.mode = mode;
  c.grace_epochs = 1;
  c.reduction = 3;
  c.min_trials = 3;
  return c;
}

struct RungCase {
  sweeps::Goal mode;
  std::vector<double> recorded;  // the other trials' values at the rung, in arrival order
  double value;
  bool keeps;
  const char* why;
};

// eta = 3: keep the best third of the values at the rung, this trial's included.
const RungCase kRungCases[] = {
    {sweeps::Goal::kMin, {}, 5, true, "the first at a rung always goes on: [5], 1/3-quantile 5"},
    {sweeps::Goal::kMin, {5}, 7, false, "[5 7]: quantile 5 + 1/3 * 2 = 5.67 < 7"},
    {sweeps::Goal::kMin, {5, 7}, 4, true, "[4 5 7]: 4 + 2/3 * 1 = 4.67 >= 4"},
    {sweeps::Goal::kMin, {5, 7, 4}, 4.5, true, "[4 4.5 5 7]: position 1, 4.5 >= 4.5"},
    {sweeps::Goal::kMin, {5, 7, 4, 4.5}, 4.6, false, "[4 4.5 4.6 5 7]: 4.5 + 1/3 * 0.1 = 4.53"},
    {sweeps::Goal::kMax, {0.8}, 0.9, true, "[0.8 0.9]: 2/3-quantile 0.867 <= 0.9"},
    {sweeps::Goal::kMax, {0.8, 0.9}, 0.7, false, "[0.7 0.8 0.9]: 2/3-quantile 0.833 > 0.7"},
};

}  // namespace

TEST(EarlyStop, AshaKeepsTheBestThirdAtEachRung) {
  for (const auto& c : kRungCases)
    EXPECT_EQ(runner::asha_keeps(config(sweeps::EarlyStopKind::kAsha, c.mode), c.value, c.recorded),
              c.keeps)
        << c.why;
}

TEST(EarlyStop, AshaJudgesAtGraceTimesEtaToTheK) {
  auto c = config(sweeps::EarlyStopKind::kAsha, sweeps::Goal::kMin);
  std::vector<std::int64_t> rungs;
  for (std::int64_t e = 1; e <= 30; ++e)
    if (runner::judges_at(c, e)) rungs.push_back(e);
  EXPECT_EQ(rungs, (std::vector<std::int64_t>{1, 3, 9, 27}));
  c.grace_epochs = 2;
  c.reduction = 2;
  rungs.clear();
  for (std::int64_t e = 1; e <= 20; ++e)
    if (runner::judges_at(c, e)) rungs.push_back(e);
  EXPECT_EQ(rungs, (std::vector<std::int64_t>{2, 4, 8, 16}));
  c.kind = sweeps::EarlyStopKind::kMedian;
  EXPECT_FALSE(runner::judges_at(c, 1));
  EXPECT_TRUE(runner::judges_at(c, 2));
  EXPECT_TRUE(runner::judges_at(c, 7));
  c.kind = sweeps::EarlyStopKind::kNone;
  EXPECT_FALSE(runner::judges_at(c, 2));
}

TEST(EarlyStop, MedianRuleStopsTrialsWorseThanTheOthersMedian) {
  const auto c = config(sweeps::EarlyStopKind::kMedian, sweeps::Goal::kMin);
  EXPECT_TRUE(runner::median_keeps(c, 3, {2, 4, 6})) << "median 4: 3 is better";
  EXPECT_TRUE(runner::median_keeps(c, 4, {2, 4, 6})) << "equal to the median goes on";
  EXPECT_FALSE(runner::median_keeps(c, 5, {2, 4, 6})) << "median 4: 5 is worse";
  EXPECT_FALSE(runner::median_keeps(c, 5.5, {2, 4, 6, 8})) << "median of four: (4 + 6) / 2";
  EXPECT_TRUE(runner::median_keeps(c, 9, {2, 4})) << "fewer than min_trials: no judgement";
  const auto up = config(sweeps::EarlyStopKind::kMedian, sweeps::Goal::kMax);
  EXPECT_FALSE(runner::median_keeps(up, 0.5, {0.6, 0.7, 0.8}));
  EXPECT_TRUE(runner::median_keeps(up, 0.75, {0.6, 0.7, 0.8}));
}

// The judge against a real store: each decision recorded once, taken from the rung's record, and
// the same answer again after a "kill" (a new judge on the same store).
namespace {

std::string fresh_db() {
  char tmpl[] = "/tmp/runner-early-XXXXXX";
  return std::string(mkdtemp(tmpl)) + "/r.db";
}

// Trials t0, t1, t2 of sweep "sw".
std::vector<results::TrialRow> three_trials() {
  std::vector<results::TrialRow> rows;
  for (int i = 0; i < 3; ++i)
    rows.push_back({"t" + std::to_string(i), "{}", "h" + std::to_string(i), 0, i});
  return rows;
}

}  // namespace

TEST(EarlyStop, TheJudgeRecordsEachDecisionAndKeepsIt) {
  results::Store store(fresh_db());
  store.prepare("sw", three_trials(), false);
  const auto c = config(sweeps::EarlyStopKind::kAsha, sweeps::Goal::kMin);
  runner::EarlyStopper judge(store, "sw", c);
  const double values[] = {5, 7, 4};
  const bool expected[] = {true, false, true};
  for (int i = 0; i < 3; ++i) {
    const std::string id = "t" + std::to_string(i);
    store.mark_running(id, {0}, {"n"});
    const util::Metrics series = {{"train_loss", 1}, {"test_recon_mse", values[i]}};
    store.add_epoch(id, 1, series);
    EXPECT_EQ(judge.goes_on(id, 1, series), expected[i]) << id;
    EXPECT_TRUE(judge.goes_on(id, 2, series)) << "epoch 2 is no rung";
  }
  auto q = store.db().prepare(
      "SELECT group_concat(decision) FROM (SELECT decision FROM decisions ORDER BY trial_id)");
  q.step();
  EXPECT_EQ(q.text(0), "continue,stop,continue");
  runner::EarlyStopper after_kill(store, "sw", c);
  const util::Metrics better = {{"test_recon_mse", 1.0}};
  EXPECT_FALSE(after_kill.goes_on("t1", 1, better)) << "a decision taken stands";
}

namespace {

// ASHA with two series: a rung keeps the first ceil(n / eta) by front, then crowding (ends of a
// front first), this trial first among equals.
struct FrontCase {
  std::vector<double> own;
  std::vector<std::vector<double>> others;
  double reduction;
  bool keeps;
  const char* why;
};
const FrontCase kFrontCases[] = {
    {{1, 1}, {}, 3, true, "alone at the rung"},
    {{1, 1}, {{2, 2}}, 3, true, "it dominates the other: first of 2, ceil(2/3) = 1 kept"},
    {{2, 2}, {{1, 1}}, 3, false, "dominated: second front"},
    {{1, 3}, {{3, 1}, {2, 2}}, 3, true, "one front of 3; an end, first among the ends"},
    {{2, 2}, {{1, 3}, {3, 1}}, 3, false, "one front of 3; the middle comes after both ends"},
    {{2, 2}, {{1, 3}, {3, 1}, {5, 5}, {6, 6}, {7, 7}}, 3, false, "6 at the rung, 2 kept: 3rd"},
    {{2, 2}, {{1, 3}, {3, 1}, {5, 5}, {6, 6}, {7, 7}}, 2, true, "6 at the rung, 3 kept: 3rd"},
    {{1, 0.9}, {{1, 0.8}}, 3, true, "the second series is maximised: 0.9 is better"},
    {{1, 0.7}, {{1, 0.8}}, 3, false, "0.7 is worse, the first series equal"},
};

}  // namespace

TEST(EarlyStop, AshaWithSeveralSeriesKeepsTheFirstFronts) {
  for (const auto& f : kFrontCases) {
    auto c = config(sweeps::EarlyStopKind::kAsha, sweeps::Goal::kMin);
    c.reduction = f.reduction;
    c.objectives = {{"test_recon_mse", sweeps::Goal::kMin}, {"train_loss", sweeps::Goal::kMin}};
    if (f.own[1] < 1) c.objectives[1].mode = sweeps::Goal::kMax;
    EXPECT_EQ(runner::pareto_keeps(c, f.own, f.others), f.keeps) << f.why;
  }
}

TEST(EarlyStop, TheJudgeReadsEverySeriesAtTheRung) {
  results::Store store(fresh_db());
  store.prepare("sw", three_trials(), false);
  auto c = config(sweeps::EarlyStopKind::kAsha, sweeps::Goal::kMin);
  c.objectives = {{"test_recon_mse", sweeps::Goal::kMin}, {"train_loss", sweeps::Goal::kMin}};
  runner::EarlyStopper judge(store, "sw", c);
  // t0 alone goes on; t1 is dominated by t0; t2 trades one series for the other and is an end
  // of the front it shares with t0 (3 at the rung: one kept, t2 first among equals).
  const double recon[] = {2, 3, 1}, loss[] = {2, 3, 4};
  const bool expected[] = {true, false, true};
  for (int i = 0; i < 3; ++i) {
    const std::string id = "t" + std::to_string(i);
    store.mark_running(id, {0}, {"n"});
    const util::Metrics series = {{"train_loss", loss[i]}, {"test_recon_mse", recon[i]}};
    store.add_epoch(id, 1, series);
    EXPECT_EQ(judge.goes_on(id, 1, series), expected[i]) << id;
  }
}
