// Runs under mpirun with 1, 2 and 3 ranks (see tests/CMakeLists.txt). Every rank runs each test;
// rank 0 schedules and checks, and every rank (rank 0 too) executes cheap fake trials.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <map>
#include <set>
#include <thread>

#include "cluster/signals.h"
#include "runner/schedule/scheduler.h"
#include "sweeps/schema.h"
#include "tests/mpi_test_main.h"

namespace {

struct RecordingSink : runner::Sink {
  std::map<std::string, int> starts, finishes;
  std::map<std::string, std::vector<std::int64_t>> epochs;
  std::map<std::string, runner::TrialResult> results;
  std::map<std::string, int> rank_of;
  std::map<std::string, std::string> stale_why;
  std::size_t stop_after = 0;        // raise the stop flag when this many trials have finished
  std::set<std::string> taken_over;  // another run takes these over after their first epoch
  std::set<std::string> lost_ones;
  bool started(runner::Assignment& a, const std::vector<int>& ranks,
               const std::vector<std::string>&) override {
    ++starts[a.trial_id];
    rank_of[a.trial_id] = ranks.at(0);
    return true;
  }
  results::Holder holder(const std::string&) override { return results::Holder::kFinished; }
  bool holds(const std::string& id) override {
    return !(taken_over.count(id) && !epochs[id].empty());
  }
  void lost(const std::string& id) override { lost_ones.insert(id); }
  bool epoch(const runner::EpochReport& r) override {
    epochs[r.trial_id].push_back(r.epoch);
    return true;
  }
  void finished(const runner::TrialResult& r) override {
    ++finishes[r.trial_id];
    results[r.trial_id] = r;
    if (stop_after > 0 && results.size() == stop_after) cluster::request_stop(SIGTERM);
  }
  void stale(const std::string& id, const std::string& why) override { stale_why[id] = why; }
  void set_aside(const std::string& id) override { ++set_asides[id]; }
  void formed_array(const std::vector<runner::Assignment>& members) override {
    arrays.emplace_back();
    for (const auto& a : members) arrays.back().push_back(a.trial_id);
  }
  std::map<std::string, int> set_asides;
  std::vector<std::vector<std::string>> arrays;
};

// A fake trial: two epochs, a metric naming the rank that ran it; "boom" throws.
runner::TrialOutput fake_trial(const runner::Assignment& a, cluster::Group&,
                               const runner::TrialHooks& hooks) {
  std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if (a.trial_id == "boom") throw std::runtime_error("exploded in epoch 1");
  hooks.on_epoch(1, {{"train_loss", 1.0}}, "");
  hooks.on_epoch(2, {{"train_loss", 0.5}}, "");
  return {{{"rank", static_cast<double>(g_mpi->rank())}, {"seed", static_cast<double>(a.seed)}},
          {{"picture", "png"}},
          false,
          ""};
}

// A fake trial of many short steps (more for a larger seed) that stops when asked, as train_trial
// does: the group agrees on stopping within the step (here by the root's word), and the root
// returns a checkpoint.
runner::TrialOutput stoppable_trial(const runner::Assignment& a, cluster::Group& group,
                                    const runner::TrialHooks& hooks) {
  // Trials end a quarter of a second apart, so none ends just as the stop is raised.
  const int steps = 100 + 50 * static_cast<int>(a.seed);
  for (int step = 0; step < steps; ++step) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    int stop = hooks.should_stop() ? 1 : 0;
    if (group.size() > 1) MPI_Bcast(&stop, 1, MPI_INT, 0, group.comm());
    if (stop) {
      runner::TrialOutput out;
      out.interrupted = true;
      if (group.rank() == 0) out.checkpoint = "checkpoint of " + a.trial_id;
      return out;
    }
  }
  return {{{"steps", static_cast<double>(steps)}}, {}, false, ""};
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

// A fake array: each member reports two epochs and ends with the array's size and its latent
// size as metrics; a member named "nan" fails alone, as a diverging member does.
void fake_array(const std::vector<runner::Assignment>& members, cluster::Group&,
                const std::vector<runner::TrialHooks>& hooks, const runner::LeaveCallback& leave) {
  std::this_thread::sleep_for(std::chrono::milliseconds(10));
  for (std::size_t k = 0; k < members.size(); ++k)
    if (hooks[k].on_epoch) hooks[k].on_epoch(1, {{"train_loss", 1.0}}, "");
  for (std::size_t k = 0; k < members.size(); ++k) {
    runner::TrialOutput out;
    if (members[k].trial_id == "nan") {
      out.error = "loss is not finite";
    } else {
      if (hooks[k].on_epoch) hooks[k].on_epoch(2, {{"train_loss", 0.5}}, "");
      out.metrics = {{"array_size", static_cast<double>(members.size())},
                     {"latent", static_cast<double>(members[k].config.model.latent)}};
    }
    leave(k, std::move(out));
  }
}

}  // namespace

TEST(Scheduler, ArraysAreOfOneShapeAndEveryMemberIsRecordedAsAlone) {
  std::vector<runner::Assignment> work;
  for (int i = 0; i < 11; ++i) {
    runner::Assignment a;
    a.trial_id = i == 4 ? "nan" : "t" + std::to_string(i);
    a.seed = i;
    a.config.model.latent = i % 2 == 0 ? 8 : 16;  // two shapes of five trials each, and t10
    a.config.train.lr = 1e-3 * (i + 1);           // differs within an array
    work.push_back(a);
  }
  work[10].config.model.kind = sweeps::ModelKind::kRandomized;  // never fused
  // What the plan gives each trial: its shape, none for a model that does not fuse.
  for (auto& a : work)
    a.shape = a.config.model.kind == sweeps::ModelKind::kRandomized ? ""
                                                                    : sweeps::array_shape(a.config);
  RecordingSink sink;
  runner::SchedulerOptions options;
  options.fuse = 3;
  runner::run_trials(*g_mpi, cluster::Layout(*g_mpi, 1), work, g_mpi->rank() == 0 ? &sink : nullptr,
                     fake_trial, options, fake_array);
  if (g_mpi->rank() != 0) return;
  std::map<std::string, int> latent;
  for (const auto& a : work) latent[a.trial_id] = static_cast<int>(a.config.model.latent);
  for (const auto& array : sink.arrays) {
    EXPECT_GE(array.size(), 2u);
    EXPECT_LE(array.size(), 3u) << "cluster.fuse bounds an array";
    for (const auto& id : array) EXPECT_EQ(latent[id], latent[array.front()]) << "one shape";
  }
  EXPECT_FALSE(sink.arrays.empty());
  for (const auto& a : work) {
    EXPECT_EQ(sink.starts[a.trial_id], 1) << a.trial_id;
    EXPECT_EQ(sink.finishes[a.trial_id], 1) << a.trial_id;
    const auto& r = sink.results[a.trial_id];
    if (a.trial_id == "nan") {
      EXPECT_EQ(r.outcome, runner::Outcome::kFailed);
      EXPECT_NE(r.error.find("loss is not finite"), std::string::npos) << r.error;
      continue;
    }
    EXPECT_EQ(r.outcome, runner::Outcome::kCompleted) << a.trial_id << ": " << r.error;
    EXPECT_EQ(sink.epochs[a.trial_id], (std::vector<std::int64_t>{1, 2})) << a.trial_id;
    const bool fused = std::any_of(sink.arrays.begin(), sink.arrays.end(), [&](const auto& ids) {
      return std::count(ids.begin(), ids.end(), a.trial_id) > 0;
    });
    EXPECT_EQ(fused, a.trial_id != "t10") << a.trial_id << ": the randomized AE trains alone";
    if (fused)
      EXPECT_EQ(r.final_metrics.at(1).second, a.config.model.latent) << "its own member's result";
    else
      EXPECT_EQ(r.final_metrics.at(0).first, "rank") << a.trial_id << " trained alone";
  }
}

TEST(Scheduler, EveryTrialRunsExactlyOnceAndFailuresAreRecorded) {
  RecordingSink sink;
  const auto work = todo(12);
  runner::run_trials(*g_mpi, cluster::Layout(*g_mpi, 1), work, g_mpi->rank() == 0 ? &sink : nullptr,
                     fake_trial);
  if (g_mpi->rank() != 0) return;
  std::set<int> ranks_used;
  for (const auto& a : work) {
    EXPECT_EQ(sink.starts[a.trial_id], 1) << a.trial_id;
    EXPECT_EQ(sink.finishes[a.trial_id], 1) << a.trial_id;
    const auto& r = sink.results[a.trial_id];
    if (a.trial_id == "boom") {
      EXPECT_EQ(r.outcome, runner::Outcome::kFailed);
      EXPECT_NE(r.error.find("exploded in epoch 1"), std::string::npos) << r.error;
      EXPECT_NE(r.error.find("[rank " + std::to_string(sink.rank_of[a.trial_id])),
                std::string::npos)
          << r.error;
      continue;
    }
    EXPECT_EQ(r.outcome, runner::Outcome::kCompleted) << r.error;
    EXPECT_EQ(sink.epochs[a.trial_id], (std::vector<std::int64_t>{1, 2}));
    // The rank that trained it is the one the sink was told of, and the assignment arrived whole.
    EXPECT_EQ(r.final_metrics.at(0).second, sink.rank_of[a.trial_id]);
    EXPECT_EQ(r.final_metrics.at(1).second, a.seed);
    EXPECT_EQ(r.artifacts, (runner::Artifacts{{"picture", "png"}}))
        << "pictures travel with the result";
    ranks_used.insert(sink.rank_of[a.trial_id]);
  }
  EXPECT_EQ(ranks_used.count(0), 1u) << "rank 0 schedules, writes, and trains too";
  EXPECT_EQ(static_cast<int>(ranks_used.size()), g_mpi->size()) << "every rank got work";
}

// Another run took "lost" over after its first epoch (this run's lease lapsed): the scheduler
// says so, records nothing more of it, and the sweep goes on.
TEST(Scheduler, ATrialAnotherRunTookOverIsDroppedHere) {
  RecordingSink sink;
  auto work = todo(6);
  work[1].trial_id = "lost";
  sink.taken_over = {"lost"};
  runner::run_trials(*g_mpi, cluster::Layout(*g_mpi, 1), work, g_mpi->rank() == 0 ? &sink : nullptr,
                     fake_trial);
  if (g_mpi->rank() != 0) return;
  EXPECT_EQ(sink.lost_ones, std::set<std::string>{"lost"});
  EXPECT_EQ(sink.epochs["lost"], std::vector<std::int64_t>{1}) << "nothing after it was lost";
  EXPECT_EQ(sink.finishes["lost"], 0);
  for (const auto& a : work) {
    if (a.trial_id == "lost") continue;
    EXPECT_EQ(sink.finishes[a.trial_id], 1) << a.trial_id;
  }
}

TEST(Scheduler, NothingToDoStillReleasesEveryRank) {
  RecordingSink sink;
  runner::run_trials(*g_mpi, cluster::Layout(*g_mpi, 1), {}, g_mpi->rank() == 0 ? &sink : nullptr,
                     fake_trial);
  if (g_mpi->rank() == 0) {
    EXPECT_TRUE(sink.starts.empty());
  }
}

TEST(Scheduler, GroupsTrainTogetherAndTheRootReports) {
  if (g_mpi->size() < 2) GTEST_SKIP() << "needs a group of two";
  const cluster::Layout layout(*g_mpi, 2);
  RecordingSink sink;
  int executed_here = 0;
  runner::Executor execute = [&](const runner::Assignment& a, cluster::Group& group,
                                 const runner::TrialHooks& hooks) {
    ++executed_here;
    EXPECT_EQ(group.size(), 2);
    hooks.on_epoch(1, {{"train_loss", 1.0}}, "");
    return runner::TrialOutput{{{"group_root", static_cast<double>(group.world_ranks().front())},
                                {"seed", double(a.seed)}},
                               {},
                               false,
                               ""};
  };
  const auto work = todo(5);
  runner::run_trials(*g_mpi, layout, work, g_mpi->rank() == 0 ? &sink : nullptr, execute);
  // Both members of the group, rank 0 and 1, ran every trial (rank 2 of a 3-rank job is idle).
  EXPECT_EQ(executed_here, layout.group_of(g_mpi->rank()) >= 0 ? 5 : 0);
  if (g_mpi->rank() != 0) return;
  for (const auto& a : work) {
    EXPECT_EQ(sink.finishes[a.trial_id], 1);
    EXPECT_EQ(sink.epochs[a.trial_id].size(), 1u) << "only the group root reports epochs";
    EXPECT_EQ(sink.rank_of[a.trial_id], 0);
  }
}

// A stop on rank 0 alone (as when only mpirun's parent gets the signal): the busy groups are told,
// every trial handed out ends once, completed or interrupted with its checkpoint, no new trial
// starts, and every rank returns.
void expect_stop_reaches_every_group(int ranks_per_trial) {
  const cluster::Layout layout(*g_mpi, ranks_per_trial);
  RecordingSink sink;
  sink.stop_after = 2;
  const auto work = todo(40);
  std::vector<runner::Assignment> no_boom;
  for (auto a : work)
    if (a.trial_id != "boom") no_boom.push_back(a);
  const bool stopped = runner::run_trials(*g_mpi, layout, no_boom,
                                          g_mpi->rank() == 0 ? &sink : nullptr, stoppable_trial)
                           .stopped;
  cluster::clear_stop();
  if (g_mpi->rank() != 0) return;
  EXPECT_TRUE(stopped);
  EXPECT_LT(sink.starts.size(), no_boom.size()) << "no new trial after the stop";
  int interrupted = 0;
  for (const auto& [id, n] : sink.starts) {
    EXPECT_EQ(sink.finishes[id], 1) << id;
    const auto& r = sink.results[id];
    if (r.outcome == runner::Outcome::kInterrupted) {
      ++interrupted;
      EXPECT_EQ(r.checkpoint, "checkpoint of " + id);
    } else {
      EXPECT_EQ(r.outcome, runner::Outcome::kCompleted) << id;
    }
  }
  EXPECT_EQ(interrupted, static_cast<int>(sink.starts.size()) - 2)
      << "every trial in flight at the stop was interrupted";
  if (layout.count() > 1) {
    EXPECT_GE(interrupted, 1);
  }
}

TEST(Scheduler, StopOnRankZeroInterruptsTrialsInFlight) {
  expect_stop_reaches_every_group(1);
}

TEST(Scheduler, StopReachesEveryRankOfAGroup) {
  if (g_mpi->size() < 2) GTEST_SKIP() << "needs a group of two";
  expect_stop_reaches_every_group(2);
}

// Rank 1 goes silent in its first trial (no step, no report) for longer than the heartbeat limit:
// the trial goes to another group and ends there; what rank 1 sends when it wakes is ignored.
TEST(Scheduler, ASilentGroupLosesItsTrialToAnother) {
  if (g_mpi->size() < 2) GTEST_SKIP() << "needs a second rank";
  constexpr double kHeartbeatS = 0.3;
  bool hung = false;
  runner::Executor execute = [&](const runner::Assignment& a, cluster::Group& group,
                                 const runner::TrialHooks& hooks) {
    if (g_mpi->rank() == 1 && !hung) {
      hung = true;
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // outlasts rank 1's silence
    return fake_trial(a, group, hooks);
  };
  std::vector<runner::Assignment> work;
  for (auto a : todo(41))
    if (a.trial_id != "boom") {
      a.heartbeat_s = kHeartbeatS;
      work.push_back(a);
    }
  RecordingSink sink;
  runner::SchedulerOptions options;
  options.heartbeat_s = kHeartbeatS;
  const auto end = runner::run_trials(*g_mpi, cluster::Layout(*g_mpi, 1), work,
                                      g_mpi->rank() == 0 ? &sink : nullptr, execute, options);
  if (g_mpi->rank() != 0) return;
  EXPECT_EQ(end.silent, std::vector<int>{1});
  ASSERT_EQ(sink.stale_why.size(), 1u);
  const auto& [id, why] = *sink.stale_why.begin();
  EXPECT_NE(why.find("rank 1 on " + g_mpi->host_of(1) + " silent for"), std::string::npos) << why;
  EXPECT_EQ(sink.starts[id], 2) << "handed out again";
  EXPECT_NE(sink.rank_of[id], 1);
  for (const auto& a : work) {
    EXPECT_EQ(sink.finishes[a.trial_id], 1) << a.trial_id;
    EXPECT_EQ(sink.results[a.trial_id].outcome, runner::Outcome::kCompleted) << a.trial_id;
  }
}
