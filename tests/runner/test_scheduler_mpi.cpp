// Runs under mpirun with 1, 2 and 3 ranks (see tests/CMakeLists.txt). Every rank runs each test;
// rank 0 schedules and checks, the others execute a cheap fake trial.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "cluster/mpi_context.h"
#include "runner/scheduler.h"

namespace {

cluster::MpiContext* g_mpi = nullptr;

struct RecordingSink : runner::Sink {
  std::map<std::string, int> starts, finishes;
  std::map<std::string, std::vector<std::int64_t>> epochs;
  std::map<std::string, runner::TrialResult> results;
  std::map<std::string, int> rank_of;
  void started(const runner::Assignment& a, const std::vector<int>& ranks,
               const std::string&) override {
    ++starts[a.trial_id];
    rank_of[a.trial_id] = ranks.at(0);
  }
  void epoch(const runner::EpochReport& r) override { epochs[r.trial_id].push_back(r.epoch); }
  void finished(const runner::TrialResult& r) override {
    ++finishes[r.trial_id];
    results[r.trial_id] = r;
  }
};

// A fake trial: two epochs, a metric naming the rank that ran it; "boom" throws.
runner::TrialOutput fake_trial(const runner::Assignment& a, cluster::Group&,
                               const runner::EpochCallback& on_epoch) {
  std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if (a.trial_id == "boom") throw std::runtime_error("exploded in epoch 1");
  on_epoch(1, {{"train_loss", 1.0}});
  on_epoch(2, {{"train_loss", 0.5}});
  return {{{"rank", static_cast<double>(g_mpi->rank())}, {"seed", static_cast<double>(a.seed)}},
          {{"picture", "png"}}};
}

std::vector<runner::Assignment> todo(int n) {
  std::vector<runner::Assignment> out;
  for (int i = 0; i < n; ++i) {
    runner::Assignment a;
    a.trial_id = i == 3 ? "boom" : "t" + std::to_string(i);
    a.seed = i;
    out.push_back(a);
  }
  return out;
}

}  // namespace

TEST(Scheduler, EveryTrialRunsExactlyOnceAndFailuresAreRecorded) {
  RecordingSink sink;
  const auto work = todo(12);
  runner::run_trials(*g_mpi, cluster::Layout(g_mpi->size(), 1), work,
                     g_mpi->rank() == 0 ? &sink : nullptr, fake_trial);
  if (g_mpi->rank() != 0) return;
  std::set<int> ranks_used;
  for (const auto& a : work) {
    EXPECT_EQ(sink.starts[a.trial_id], 1) << a.trial_id;
    EXPECT_EQ(sink.finishes[a.trial_id], 1) << a.trial_id;
    const auto& r = sink.results[a.trial_id];
    if (a.trial_id == "boom") {
      EXPECT_FALSE(r.ok);
      EXPECT_NE(r.error.find("exploded in epoch 1"), std::string::npos) << r.error;
      EXPECT_NE(r.error.find("[rank " + std::to_string(sink.rank_of[a.trial_id])),
                std::string::npos)
          << r.error;
      continue;
    }
    EXPECT_TRUE(r.ok) << r.error;
    EXPECT_EQ(sink.epochs[a.trial_id], (std::vector<std::int64_t>{1, 2}));
    // The rank that trained it is the one the sink was told of, and the assignment arrived whole.
    EXPECT_EQ(r.final_metrics.at(0).second, sink.rank_of[a.trial_id]);
    EXPECT_EQ(r.final_metrics.at(1).second, a.seed);
    EXPECT_EQ(r.artifacts, (runner::Artifacts{{"picture", "png"}}))
        << "pictures travel with the result";
    ranks_used.insert(sink.rank_of[a.trial_id]);
  }
  if (g_mpi->size() == 1) {
    EXPECT_EQ(ranks_used, std::set<int>{0});
  } else {
    EXPECT_EQ(ranks_used.count(0), 0u) << "rank 0 schedules and writes; it does not train";
    EXPECT_EQ(static_cast<int>(ranks_used.size()), g_mpi->size() - 1)
        << "every training rank got work";
  }
}

TEST(Scheduler, NothingToDoStillReleasesEveryRank) {
  RecordingSink sink;
  runner::run_trials(*g_mpi, cluster::Layout(g_mpi->size(), 1), {},
                     g_mpi->rank() == 0 ? &sink : nullptr, fake_trial);
  if (g_mpi->rank() == 0) {
    EXPECT_TRUE(sink.starts.empty());
  }
}

TEST(Scheduler, GroupsTrainTogetherAndTheRootReports) {
  if (g_mpi->size() < 3) GTEST_SKIP() << "needs a scheduler and a group of two";
  const cluster::Layout layout(g_mpi->size(), 2);
  RecordingSink sink;
  int executed_here = 0;
  runner::Executor execute = [&](const runner::Assignment& a, cluster::Group& group,
                                 const runner::EpochCallback& on_epoch) {
    ++executed_here;
    EXPECT_EQ(group.size(), 2);
    on_epoch(1, {{"train_loss", 1.0}});
    return runner::TrialOutput{{{"group_root", static_cast<double>(group.world_ranks().front())},
                                {"seed", double(a.seed)}},
                               {}};
  };
  const auto work = todo(5);
  runner::run_trials(*g_mpi, layout, work, g_mpi->rank() == 0 ? &sink : nullptr, execute);
  if (g_mpi->rank() != 0) {
    // Both members of the group ran every trial (rank 3 of a 4-rank job is idle).
    EXPECT_EQ(executed_here, layout.group_of(g_mpi->rank()) >= 0 ? 5 : 0);
    return;
  }
  EXPECT_EQ(executed_here, 0);
  for (const auto& a : work) {
    EXPECT_EQ(sink.finishes[a.trial_id], 1);
    EXPECT_EQ(sink.epochs[a.trial_id].size(), 1u) << "only the group root reports epochs";
    EXPECT_EQ(sink.rank_of[a.trial_id], 1);
  }
}

TEST(Layout, SplitsTrainingRanksIntoGroups) {
  cluster::Layout l(8, 3);  // rank 0 schedules; ranks 1-3 and 4-6 train; rank 7 idles
  EXPECT_EQ(l.groups, 2);
  EXPECT_EQ(l.idle, 1);
  EXPECT_EQ(l.members(1), (std::vector<int>{4, 5, 6}));
  EXPECT_EQ(l.group_of(0), -1);
  EXPECT_EQ(l.group_of(3), 0);
  EXPECT_EQ(l.group_of(4), 1);
  EXPECT_EQ(l.group_of(7), -1);
  EXPECT_EQ(cluster::Layout(1, 1).groups, 1);
  EXPECT_EQ(cluster::Layout(1, 2).groups, 0);
  EXPECT_EQ(cluster::Layout(2, 2).groups, 0);
}

TEST(MpiContext, KnowsTheNodeLayout) {
  EXPECT_GE(g_mpi->local_size(), 1);
  EXPECT_LT(g_mpi->local_rank(), g_mpi->local_size());
  EXPECT_EQ(g_mpi->broadcast(g_mpi->rank() == 0 ? 7 : -1), 7);
}

int main(int argc, char** argv) {
  cluster::MpiContext mpi(&argc, &argv);
  g_mpi = &mpi;
  ::testing::InitGoogleTest(&argc, argv);
  if (mpi.rank() != 0)
    delete ::testing::UnitTest::GetInstance()->listeners().Release(
        ::testing::UnitTest::GetInstance()->listeners().default_result_printer());
  return RUN_ALL_TESTS();
}
