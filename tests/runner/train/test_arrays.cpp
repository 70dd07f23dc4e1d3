// Fused arrays (models/fused.h, runner::train_array): K trials trained as one batched model end
// exactly as each trained alone: the same series, final metrics and weights, for every kind that
// fuses; members that diverge leave failed while the others go on; stopped and resumed, an array
// ends as if it had never stopped.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <map>

#include "cluster/group.h"
#include "models/fused.h"
#include "runner/checkpoint.h"
#include "runner/train/training.h"
#include "tests/mpi_test_main.h"
#include "tests/testutil.h"

namespace {

using Series = std::vector<std::pair<std::int64_t, runner::Metrics>>;

constexpr std::int64_t kTestImages = 200;

// What a trial produced: its series, its result, and its weights at the last checkpoint.
struct TrialRun {
  Series series;
  runner::TrialOutput out;
  std::string last_checkpoint;
};

// A trial's hooks that record into `run`; stops at the `stop_after`th call of should_stop.
runner::TrialHooks recording(TrialRun& run, int stop_after = 0) {
  runner::TrialHooks hooks;
  hooks.checkpoints = true;
  hooks.on_epoch = [&run](std::int64_t epoch, const runner::Metrics& m, const std::string& c) {
    run.series.emplace_back(epoch, m);
    run.last_checkpoint = c;
  };
  auto calls = std::make_shared<int>(0);
  hooks.should_stop = [calls, stop_after] { return stop_after > 0 && ++*calls >= stop_after; };
  return hooks;
}

TrialRun alone(const runner::Assignment& a) {
  cluster::Group group(*g_mpi, MPI_COMM_SELF);
  TrialRun run;
  run.out = runner::train_trial(a, group, recording(run));
  return run;
}

// The members trained as one array; each member's run, in order. With stop_after, every member
// is asked to stop at that step (as a signal would), and what is left resumes from the
// checkpoints until the array ends.
std::vector<TrialRun> fused(std::vector<runner::Assignment> members, int stop_after = 0) {
  cluster::Group group(*g_mpi, MPI_COMM_SELF);
  std::vector<TrialRun> runs(members.size());
  for (int round = 0; round < 10; ++round) {
    std::vector<runner::TrialHooks> hooks;
    for (auto& r : runs) hooks.push_back(recording(r, round == 0 ? stop_after : 0));
    bool stopped = false;
    runner::train_array(members, group, hooks, [&](std::size_t k, runner::TrialOutput out) {
      stopped = stopped || out.interrupted;
      members[k].checkpoint = out.checkpoint;
      runs[k].out = std::move(out);
    });
    if (!stopped) break;
  }
  return runs;
}

// Within `rel` of each other, relative to the larger magnitude (absolutely near zero).
void expect_close(double a, double b, double rel, const std::string& what) {
  EXPECT_LE(std::abs(a - b), rel * std::max({std::abs(a), std::abs(b), 1e-3})) << what;
}

torch::Tensor weights_of(const std::string& checkpoint) {
  const auto c = runner::decode_checkpoint(checkpoint, "test");
  return torch::from_blob(const_cast<char*>(c.parameters.data()),
                          {static_cast<std::int64_t>(c.parameters.size() / sizeof(float))},
                          torch::kFloat32)
      .clone();
}

// With `exact`, the weights must match bit for bit: the fused model then runs each member's
// arithmetic exactly as alone. Otherwise (grouped convolutions, batched matrix products whose
// summation order differs) within 1e-4, and a classifier's accuracy on the codes within twice
// the probe's own bound (runner::kProbeTolerance stops L-BFGS within 0.005 of the full solve, and
// where it stops moves with the codes' last bits): each side within 0.005 of the full solve.
void expect_same_trial(const TrialRun& a, const TrialRun& f, const std::string& id,
                       bool exact = true) {
  ASSERT_EQ(a.series.size(), f.series.size()) << id;
  for (std::size_t e = 0; e < a.series.size(); ++e) {
    EXPECT_EQ(a.series[e].first, f.series[e].first);
    ASSERT_EQ(a.series[e].second.size(), f.series[e].second.size());
    for (std::size_t i = 0; i < a.series[e].second.size(); ++i)
      expect_close(
          a.series[e].second[i].second, f.series[e].second[i].second, 1e-4,
          id + " epoch " + std::to_string(a.series[e].first) + " " + a.series[e].second[i].first);
  }
  ASSERT_EQ(a.out.metrics.size(), f.out.metrics.size()) << id;
  for (std::size_t i = 0; i < a.out.metrics.size(); ++i) {
    const auto& [name, value] = a.out.metrics[i];
    EXPECT_EQ(name, f.out.metrics[i].first);
    const bool accuracy = name.size() > 9 && name.substr(name.size() - 9) == "_accuracy";
    if (exact && !util::is_timing(name))
      EXPECT_EQ(value, f.out.metrics[i].second) << id << " " << name;
    else if (accuracy)
      EXPECT_LE(std::abs(value - f.out.metrics[i].second), 2 * 0.005 + 1e-12) << id << " " << name;
    else if (!util::is_timing(name))
      expect_close(value, f.out.metrics[i].second, 1e-4, id + " " + name);
  }
  EXPECT_EQ(a.out.artifacts.size(), f.out.artifacts.size()) << id << ": the same pictures";
  const auto wa = weights_of(a.last_checkpoint), wf = weights_of(f.last_checkpoint);
  ASSERT_EQ(wa.numel(), wf.numel());
  if (exact)
    EXPECT_TRUE(torch::equal(wa, wf)) << id << ": the same weights, bit for bit";
  else
    EXPECT_LE((wa - wf).abs().max().item<double>(), 1e-4 * wa.abs().max().item<double>()) << id;
}

// Three trials of one shape that differ in what an array allows: seed, learning rate, loss
// weights, KL schedule, corruption level.
std::vector<runner::Assignment> members_of(const std::function<void(runner::Assignment&)>& kind) {
  std::vector<runner::Assignment> members;
  const double lrs[] = {3e-3, 1e-3, 5e-3};
  for (int k = 0; k < 3; ++k) {
    auto a = testutil::tiny_trial("m" + std::to_string(k), 11 + 5 * k, 600, kTestImages);
    a.config.train.epochs = 2;
    a.config.train.lr = lrs[k];
    a.config.loss.lambda = 0.01 * (k + 1);
    a.config.loss.beta = 0.5 + 0.25 * k;
    kind(a);
    if (a.config.corruption.kind == sweeps::CorruptionKind::kBlotch) {
      a.config.corruption.threshold_min = 0.5 + 0.1 * k;
      a.config.corruption.threshold_max = 0.7 + 0.1 * k;
    }
    members.push_back(a);
  }
  return members;
}

struct KindCase {
  const char* name;
  std::function<void(runner::Assignment&)> set;
  bool exact = true;  // fused arithmetic identical to alone (see expect_same_trial)
};

const KindCase kKinds[] = {
    {"dense", [](runner::Assignment&) {}},
    {"sparse_l1", [](runner::Assignment& a) { a.config.model.kind = testutil::kind("sparse_l1"); }},
    {"sparse_binary",
     [](runner::Assignment& a) { a.config.model.kind = testutil::kind("sparse_binary"); }},
    {"conv",
     [](runner::Assignment& a) {
       a.config.model.kind = testutil::kind("conv");
       a.config.model.channels = {4, 8};
     },
     false},
    {"vae_cyclical",
     [](runner::Assignment& a) {
       a.config.model.kind = testutil::kind("vae");
       a.config.kl.schedule = sweeps::KlSchedule::kCyclical;
       a.config.kl.cycles = 2;
       a.config.kl.ratio = 0.5;
       a.config.train.epochs = 3;
     }},
    {"icvae", [](runner::Assignment& a) { a.config.model.kind = testutil::kind("icvae"); }, false},
    {"dense_blotch_mask",
     [](runner::Assignment& a) {
       a.config.corruption.kind = sweeps::CorruptionKind::kBlotch;
       a.config.corruption.mask_input = true;
     }},
};

// Names the case in test listings (GoogleTest would print its bytes).
void PrintTo(const KindCase& c, std::ostream* os) {
  *os << c.name;
}

class ArrayEquivalence : public testing::TestWithParam<KindCase> {};

TEST_P(ArrayEquivalence, EveryMemberEndsAsItWouldAlone) {
  const auto members = members_of(GetParam().set);
  const auto arrays = fused(members);
  for (std::size_t k = 0; k < members.size(); ++k) {
    SCOPED_TRACE(std::string(GetParam().name) + " member " + std::to_string(k));
    expect_same_trial(alone(members[k]), arrays[k], members[k].trial_id, GetParam().exact);
  }
}

TEST_P(ArrayEquivalence, StoppedAndResumedEndsAsUninterrupted) {
  const auto members = members_of(GetParam().set);
  const auto whole = fused(members);
  const auto resumed = fused(members, /*stop_after=*/17);  // 12 steps an epoch: in the second
  for (std::size_t k = 0; k < members.size(); ++k) {
    SCOPED_TRACE(std::string(GetParam().name) + " member " + std::to_string(k));
    expect_same_trial(whole[k], resumed[k], members[k].trial_id, GetParam().exact);
  }
}

INSTANTIATE_TEST_SUITE_P(Kinds, ArrayEquivalence, testing::ValuesIn(kKinds),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(Arrays, ADivergingMemberLeavesFailedAndTheOthersGoOn) {
  auto members = members_of([](runner::Assignment&) {});
  members[1].config.train.lr = 1e30;  // diverges within the first epoch
  const auto arrays = fused(members);
  EXPECT_NE(arrays[1].out.error.find("loss is not finite"), std::string::npos)
      << arrays[1].out.error;
  EXPECT_TRUE(arrays[1].out.metrics.empty());
  for (std::size_t k : {0u, 2u}) {
    EXPECT_TRUE(arrays[k].out.error.empty());
    expect_same_trial(alone(members[k]), arrays[k], members[k].trial_id);
  }
}

TEST(Arrays, AMemberStoppedAloneLeavesAndGoesOnAloneFromItsCheckpoint) {
  auto members = members_of([](runner::Assignment&) {});
  cluster::Group group(*g_mpi, MPI_COMM_SELF);
  std::vector<TrialRun> runs(members.size());
  std::vector<runner::TrialHooks> hooks;
  for (std::size_t k = 0; k < runs.size(); ++k) hooks.push_back(recording(runs[k], k == 1 ? 7 : 0));
  runner::train_array(members, group, hooks, [&](std::size_t k, runner::TrialOutput out) {
    runs[k].out = std::move(out);
  });
  ASSERT_TRUE(runs[1].out.interrupted);
  EXPECT_EQ(runs[1].series.size(), 0u) << "stopped inside the first epoch";
  for (std::size_t k : {0u, 2u}) expect_same_trial(alone(members[k]), runs[k], members[k].trial_id);
  // Its checkpoint is the one it would have written alone: it goes on alone, and ends as alone.
  auto rest = members[1];
  rest.checkpoint = runs[1].out.checkpoint;
  expect_same_trial(alone(members[1]), alone(rest), members[1].trial_id);
}

TEST(Arrays, KindsThatCannotFuseSayWhy) {
  sweeps::ModelConfig c;
  c.kind = testutil::kind("randomized");
  EXPECT_NE(models::unfusable_reason(c).find("stages"), std::string::npos);
  c.kind = testutil::kind("dense");
  EXPECT_EQ(models::unfusable_reason(c), "");
  c.encoder = sweeps::EncoderKind::kShift;
  EXPECT_NE(models::unfusable_reason(c), "");
}

}  // namespace
