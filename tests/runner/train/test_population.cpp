// Population-based training in the trainer (runner/train/population.cpp): a member of a fused
// array that takes another's weights and Adam state in memory ends exactly as one that takes them
// from the source's checkpoint, and one resumed at that decision's epoch takes it again and ends
// the same. Bit for bit, on the CPU.
#include <gtest/gtest.h>

#include <map>

#include "cluster/group.h"
#include "runner/checkpoint.h"
#include "runner/train/training.h"
#include "tests/mpi_test_main.h"
#include "tests/testutil.h"

namespace {

struct MemberRun {
  std::vector<std::pair<std::int64_t, runner::Metrics>> series;
  std::map<std::int64_t, std::string> checkpoints;  // by epoch
};

// Three members of one shape; each reports train.lr as a member of a population does.
std::vector<runner::Assignment> population() {
  std::vector<runner::Assignment> members;
  const double lrs[] = {3e-3, 1e-3, 5e-4};
  for (int k = 0; k < 3; ++k) {
    auto a = testutil::tiny_trial("m" + std::to_string(k), 21 + k, 600, 200);
    a.config.train.lr = lrs[k];
    a.pbt_interval = 1;
    a.pbt_keys = {"train.lr"};
    members.push_back(a);
  }
  return members;
}

// Trains the array; member k takes what `decide(k, epoch)` says.
std::vector<MemberRun> train(
    const std::vector<runner::Assignment>& members,
    const std::function<runner::Exploit(std::size_t, std::int64_t)>& decide) {
  cluster::Group group(*g_mpi, MPI_COMM_SELF);
  std::vector<MemberRun> runs(members.size());
  std::vector<runner::TrialHooks> hooks(members.size());
  for (std::size_t k = 0; k < members.size(); ++k) {
    hooks[k].checkpoints = true;
    hooks[k].on_epoch = [&runs, k](std::int64_t e, const runner::Metrics& m, const std::string& c) {
      runs[k].series.emplace_back(e, m);
      runs[k].checkpoints[e] = c;
    };
    hooks[k].exploit = [&decide, k](std::int64_t epoch) { return decide(k, epoch); };
  }
  runner::train_array(members, group, hooks, [](std::size_t, runner::TrialOutput) {});
  return runs;
}

torch::Tensor state_of(const std::string& checkpoint) {
  const auto c = runner::decode_checkpoint(checkpoint, "test");
  std::string all = c.parameters + c.adam_m + c.adam_v;
  return torch::from_blob(all.data(), {static_cast<std::int64_t>(all.size() / sizeof(float))},
                          torch::kFloat32)
      .clone();
}

void expect_same(const std::vector<MemberRun>& a, const std::vector<MemberRun>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t k = 0; k < a.size(); ++k) {
    ASSERT_EQ(a[k].series.size(), b[k].series.size());
    for (std::size_t e = 0; e < a[k].series.size(); ++e)
      EXPECT_EQ(a[k].series[e], b[k].series[e]) << "member " << k << " epoch " << e + 1;
    EXPECT_TRUE(torch::equal(state_of(a[k].checkpoints.rbegin()->second),
                             state_of(b[k].checkpoints.rbegin()->second)))
        << "member " << k << ": weights and Adam's moments, bit for bit";
  }
}

const runner::Metrics kNewKeys = {{"train.lr", 2e-3}};

TEST(Population, TakingAMemberInMemoryEqualsTakingItsCheckpoint) {
  const auto members = population();
  // Member 2 takes member 0 after epoch 1: in memory, its array-mate as it stands.
  const auto in_memory = train(members, [](std::size_t k, std::int64_t epoch) {
    return k == 2 && epoch == 1 ? runner::Exploit{"m0", 1, "", kNewKeys} : runner::Exploit{};
  });
  const std::string m0_at_1 = in_memory[0].checkpoints.at(1);
  const auto through_checkpoint = train(members, [&](std::size_t k, std::int64_t epoch) {
    return k == 2 && epoch == 1 ? runner::Exploit{"m0", 1, m0_at_1, kNewKeys} : runner::Exploit{};
  });
  expect_same(in_memory, through_checkpoint);
  // It did take them: its series changes from epoch 2 on, with the new rate.
  const auto kept = train(members, [](std::size_t, std::int64_t) { return runner::Exploit{}; });
  EXPECT_EQ(kept[2].series[0], in_memory[2].series[0]);
  EXPECT_NE(util::find_metric(kept[2].series[1].second, "test_recon_mse"),
            util::find_metric(in_memory[2].series[1].second, "test_recon_mse"));
  EXPECT_EQ(util::find_metric(in_memory[2].series[0].second, "train.lr"), 5e-4);
  EXPECT_EQ(util::find_metric(in_memory[2].series[1].second, "train.lr"), 2e-3);
  EXPECT_EQ(kept[0].series, in_memory[0].series) << "the source goes on as before";
}

TEST(Population, ResumedAtADecisionsEpochTakesItAgainAndEndsTheSame) {
  auto members = population();
  const auto whole = train(members, [](std::size_t k, std::int64_t epoch) {
    return k == 2 && epoch == 1 ? runner::Exploit{"m0", 1, "", kNewKeys} : runner::Exploit{};
  });
  // Every member from its epoch-1 checkpoint, captured before the decision; rank 0 hands member
  // 2 the decision again, with the state it took.
  for (std::size_t k = 0; k < members.size(); ++k) {
    members[k].checkpoint = whole[k].checkpoints.at(1);
    members[k].resume =
        runner::resume_point_of(runner::decode_checkpoint(members[k].checkpoint, "t"));
  }
  members[2].resume_exploit = {"m0", 1, whole[0].checkpoints.at(1), kNewKeys};
  auto resumed = train(members, [](std::size_t, std::int64_t) { return runner::Exploit{}; });
  for (std::size_t k = 0; k < members.size(); ++k) {
    ASSERT_EQ(resumed[k].series.size(), 2u);
    for (std::size_t e = 0; e < 2; ++e)
      EXPECT_EQ(resumed[k].series[e], whole[k].series[e + 1])
          << "member " << k << " epoch " << e + 2;
    EXPECT_TRUE(
        torch::equal(state_of(resumed[k].checkpoints.at(3)), state_of(whole[k].checkpoints.at(3))))
        << "member " << k;
  }
}

}  // namespace
