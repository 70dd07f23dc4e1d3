// Runs under mpirun with 1, 2 and 3 ranks (see tests/CMakeLists.txt): every rank of the world is
// one data-parallel group.
#include <gtest/gtest.h>

#include "cluster/backend.h"
#include "cluster/data_parallel.h"
#include "cluster/group.h"
#include "runner/train/flat_adam.h"
#include "runner/train/training.h"
#include "tests/mpi_test_main.h"
#include "tests/testutil.h"

TEST(Shard, CoversEveryGlobalBatchSampleExactlyOnce) {
  for (std::int64_t batch = 1; batch <= 20; ++batch)
    for (int size = 1; size <= 5; ++size) {
      std::vector<int> seen(batch, 0);
      std::int64_t expected_begin = 0, smallest = batch, largest = 0;
      for (int r = 0; r < size; ++r) {
        auto [b, e] = cluster::shard(batch, r, size);
        EXPECT_EQ(b, expected_begin) << "contiguous, in rank order";
        expected_begin = e;
        for (auto i = b; i < e; ++i) ++seen[i];
        smallest = std::min(smallest, e - b);
        largest = std::max(largest, e - b);
      }
      EXPECT_EQ(expected_begin, batch);
      for (int s : seen) EXPECT_EQ(s, 1);
      EXPECT_LE(largest - smallest, 1);
    }
}

TEST(MpiBackend, AllreduceAndBroadcastMatchHandComputedSums) {
  cluster::Group group(*g_mpi, MPI_COMM_WORLD);
  auto backend = cluster::make_backend(group, torch::kCPU, 60);
  const int n = group.size();
  auto t = torch::tensor({float(group.rank() + 1), 10.0f * float(group.rank() + 1), -1.0f});
  backend->allreduce_sum(t);
  const float s = n * (n + 1) / 2.0f;
  EXPECT_EQ(t[0].item<float>(), s);
  EXPECT_EQ(t[1].item<float>(), 10 * s);
  EXPECT_EQ(t[2].item<float>(), -n);
  auto b = torch::full({4}, float(group.rank()));
  backend->broadcast(b);
  EXPECT_TRUE(b.eq(0).all().item<bool>());
}

// y = w.x without bias, w = (1, -1), on a global batch of six samples. Worked by hand:
// residuals w.x - t = (0, -1, -2, 1, -1, 2), so the mean squared loss is 11/6 and its gradient
// (2/6) * sum(r_i x_i) = (1/3) * (2, -7).
TEST(DataParallel, ShardedGradientsSumToTheGlobalBatchGradient) {
  cluster::Group group(*g_mpi, MPI_COMM_WORLD);
  auto backend = cluster::make_backend(group, torch::kCPU, 60);
  auto w = torch::tensor({1.0f, -1.0f}).requires_grad_(true);
  runner::FlatParameters flat({w}, 1);
  auto x =
      torch::tensor({1.f, 0.f, 0.f, 1.f, 1.f, 1.f, 2.f, 0.f, 0.f, 2.f, 1.f, -1.f}).view({6, 2});
  auto t = torch::tensor({1.f, 0.f, 2.f, 1.f, -1.f, 0.f});
  auto [b, e] = cluster::shard(6, group.rank(), group.size());
  if (e > b) {
    auto loss = (x.narrow(0, b, e - b).matmul(w) - t.narrow(0, b, e - b)).pow(2).mean();
    (loss * ((e - b) / 6.0)).backward();
    flat.extra().fill_(loss.item<float>() * (e - b));
  }
  backend->allreduce_sum(flat.gradients_and_extra());
  EXPECT_NEAR(w.grad()[0].item<float>(), 2.0 / 3.0, 1e-6);
  EXPECT_NEAR(w.grad()[1].item<float>(), -7.0 / 3.0, 1e-6);
  EXPECT_NEAR(flat.extra()[0].item<float>() / 6, 11.0 / 6.0, 1e-6);
}

TEST(DataParallel, BroadcastGivesEveryReplicaTheRootsWeights) {
  cluster::Group group(*g_mpi, MPI_COMM_WORLD);
  auto backend = cluster::make_backend(group, torch::kCPU, 60);
  torch::manual_seed(100 + group.rank());  // different on purpose
  torch::nn::Linear layer(5, 3);
  runner::FlatParameters flat(layer->parameters(), 0);
  backend->broadcast(flat.values());
  torch::manual_seed(100);
  torch::nn::Linear root_layer(5, 3);
  EXPECT_TRUE(torch::equal(layer->weight, root_layer->weight));
  EXPECT_TRUE(torch::equal(layer->bias, root_layer->bias));
}

namespace {

runner::Assignment dp_trial() {
  // 700 = 5 full batches of 128 + one of 60: uneven shards too.
  auto a = testutil::tiny_trial("dp", 7, 700, 200);
  a.config.train.epochs = 2;
  a.config.train.batch_size = 128;
  a.config.train.lr = 2e-3;
  return a;
}

using testutil::metric;

}  // namespace

// Trains the same trial on the whole world as one group and on rank 0 alone, and compares.
void expect_group_matches_one_rank(const runner::Assignment& trial) {
  cluster::Group group(*g_mpi, MPI_COMM_WORLD);
  std::vector<runner::Metrics> epochs;
  torch::Tensor weights;
  auto metrics = runner::train_trial(
                     trial, group,
                     [&](std::int64_t, const runner::Metrics& m) { epochs.push_back(m); }, &weights)
                     .metrics;
  if (group.rank() != 0) {
    EXPECT_TRUE(metrics.empty()) << "only the group root reports";
    EXPECT_TRUE(epochs.empty());
    return;
  }
  cluster::Group alone(*g_mpi, MPI_COMM_SELF);
  std::vector<runner::Metrics> ref_epochs;
  torch::Tensor ref_weights;
  auto ref =
      runner::train_trial(
          trial, alone, [&](std::int64_t, const runner::Metrics& m) { ref_epochs.push_back(m); },
          &ref_weights)
          .metrics;
  ASSERT_EQ(epochs.size(), ref_epochs.size());
  // Float rounding differs (sums over shards, then over ranks), nothing else.
  const double max_diff = (weights - ref_weights).abs().max().item<double>();
  EXPECT_LT(max_diff, 1e-4) << "final weights";
  for (const char* name : {"recon_mse", "recon_mse_class_3"})
    EXPECT_NEAR(metric(metrics, name), metric(ref, name), 1e-5 * metric(ref, name) + 1e-7) << name;
  EXPECT_NEAR(metric(metrics, "probe_accuracy"), metric(ref, "probe_accuracy"), 0.011);
  for (std::size_t e = 0; e < epochs.size(); ++e)
    EXPECT_NEAR(metric(epochs[e], "train_loss"), metric(ref_epochs[e], "train_loss"),
                1e-5 * std::abs(metric(ref_epochs[e], "train_loss")))
        << "epoch " << e + 1;
}

TEST(DataParallel, DenseTrialOnTheGroupMatchesTheSameTrialOnOneRank) {
  expect_group_matches_one_rank(dp_trial());
}

TEST(DataParallel, VaeTrialOnTheGroupMatchesTheSameTrialOnOneRank) {
  auto trial = dp_trial();
  // Sampled codes: each sample's noise must not depend on the shard.
  trial.config.model.kind = sweeps::ModelKind::kVae;
  expect_group_matches_one_rank(trial);
}

TEST(DataParallel, DivergenceFailsEveryRankOfTheGroupTogether) {
  cluster::Group group(*g_mpi, MPI_COMM_WORLD);
  auto a = dp_trial();
  a.config.train.lr = 1e30;
  try {
    runner::train_trial(a, group, [](std::int64_t, const runner::Metrics&) {});
    FAIL() << "expected a non-finite loss";
  } catch (const std::runtime_error& e) {
    const std::string expected = group.size() > 1 ? "rank 0: loss is" : "loss is";
    if (group.rank() == 0) {
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
  }
  // Every rank got here: nobody is left waiting in a collective. Prove it with one more.
  EXPECT_EQ(g_mpi->broadcast(g_mpi->rank() == 0 ? 5 : 0), 5);
}

// Only the last rank of the group is asked to stop (its own signal): the group stops together
// within that step, the root holds the checkpoint, and resuming from it on the same group ends
// exactly where the uninterrupted run on that group ends.
TEST(DataParallel, StopOnOneRankStopsTheGroupAndResumeEndsAsUninterrupted) {
  cluster::Group group(*g_mpi, MPI_COMM_WORLD);
  auto a = dp_trial();
  torch::Tensor whole, resumed;
  std::vector<runner::Metrics> whole_series, series;
  const auto ref = runner::train_trial(
      a, group, [&](std::int64_t, const runner::Metrics& m) { whole_series.push_back(m); }, &whole);

  int calls = 0;
  runner::TrialHooks hooks;
  hooks.checkpoints = true;
  hooks.on_epoch = [&](std::int64_t, const runner::Metrics& m, const std::string&) {
    series.push_back(m);
  };
  // 6 steps per epoch: stop in epoch 2 after its second step.
  hooks.should_stop = [&] { return group.rank() == group.size() - 1 && ++calls == 8; };
  auto first = runner::train_trial(a, group, hooks);
  EXPECT_TRUE(first.interrupted) << "every rank stops, whichever was asked";
  // The root hands its checkpoint to every rank of the group, as the scheduler does.
  int size = static_cast<int>(first.checkpoint.size());
  MPI_Bcast(&size, 1, MPI_INT, 0, group.comm());
  a.checkpoint.resize(size);
  if (group.rank() == 0) a.checkpoint = first.checkpoint;
  MPI_Bcast(a.checkpoint.data(), size, MPI_BYTE, 0, group.comm());
  ASSERT_GT(size, 0);
  hooks.should_stop = nullptr;
  const auto rest = runner::train_trial(a, group, hooks, &resumed);
  EXPECT_FALSE(rest.interrupted);
  EXPECT_TRUE(torch::equal(resumed, whole)) << "rank " << g_mpi->rank();
  if (group.rank() != 0) return;
  EXPECT_EQ(series, whole_series);
  EXPECT_EQ(metric(rest.metrics, "recon_mse"), metric(ref.metrics, "recon_mse"));
}

TEST(Devices, CpuWhenAskedOrWhenThereIsNoGpu) {
  EXPECT_TRUE(cluster::choose_device(sweeps::Device::kCpu, 0).is_cpu());
  if (torch::cuda::device_count() == 0) {
    EXPECT_TRUE(cluster::choose_device(sweeps::Device::kAuto, 3).is_cpu());
    EXPECT_THROW(cluster::choose_device(sweeps::Device::kCuda, 0), std::runtime_error);
  }
}

namespace {

struct GpuRow {
  const char* layout;
  int visible;     // GPUs the rank sees (CUDA_VISIBLE_DEVICES applied)
  int local_rank;  // its index among its node's ranks, from the host names
  int expected;
};

const GpuRow kGpuRows[] = {
    {"no GPU", 0, 0, -1},
    {"one GPU per task (--gpus-per-task=1): each sees only its own", 1, 3, 0},
    {"8 GPUs, 8 ranks per node, block order", 8, 5, 5},
    {"mpirun inside an allocation: SLURM_LOCALID=0 everywhere, ignored", 4, 2, 2},
    {"cluster.ranks_per_gpu-style oversubscription: 2 ranks per GPU", 2, 3, 1},
};

}  // namespace

TEST(Devices, EachRankTakesTheGpuOfItsIndexOnTheNode) {
  for (const auto& row : kGpuRows)
    EXPECT_EQ(cluster::gpu_index(row.visible, row.local_rank), row.expected) << row.layout;
}

TEST(Devices, RanksShareAGpuOnlyAsFarAsRanksPerGpuAllows) {
  const struct {
    int visible, local_size, ranks_per_gpu;
    bool allowed;
  } rows[] = {{0, 8, 1, true},  {8, 8, 1, true}, {4, 8, 1, false}, {4, 8, 2, true},
              {4, 9, 2, false}, {1, 1, 1, true}, {2, 3, 2, true},  {1, 4, 3, false}};
  for (const auto& r : rows) {
    const std::string problem =
        cluster::gpu_sharing_problem(r.visible, r.local_size, r.ranks_per_gpu);
    EXPECT_EQ(problem.empty(), r.allowed) << r.visible << " GPUs, " << r.local_size << " ranks";
    if (!r.allowed) {
      EXPECT_NE(problem.find("cluster.ranks_per_gpu = " + std::to_string(r.ranks_per_gpu)),
                std::string::npos)
          << problem;
    }
  }
}

namespace {

// Trains the dp trial on the whole world as one group, with `part` failing on `failing_rank`
// alone; returns what this rank's train_trial threw ("" if nothing). The group reads its votes
// every `read_every` steps.
std::string fail_one_rank(const char* part, int failing_rank, int read_every) {
  cluster::Group group(*g_mpi, MPI_COMM_WORLD);
  runner::TrialHooks hooks;
  hooks.read_votes_every = read_every;
  int calls = 0;
  // Setup, the stage's start and the first epoch's evaluation fail the first time, an epoch's
  // start the second time, the parts of a step the third time (mid-epoch: 6 steps an epoch).
  const std::string p = part;
  const int when = p == "epoch" ? 2 : p == "setup" || p == "stage" || p == "evaluation" ? 1 : 3;
  hooks.fault = [&](const char* at) {
    if (group.rank() == failing_rank && std::string(at) == part && ++calls == when)
      throw std::runtime_error(std::string("injected failure in ") + at);
  };
  try {
    runner::train_trial(dp_trial(), group, hooks);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace

// Whatever part of a trial fails on one rank, every rank of the group fails it, the root says
// which rank and why, and no rank is left waiting in a collective: whether the votes are read
// every step (CPU) or every few (as on GPUs).
TEST(DataParallel, AFailureInAnyPartOfAStepOnOneRankFailsTheWholeGroup) {
  const int last = g_mpi->size() - 1;
  const struct {
    const char* part;
    int rank;
  } cases[] = {{"setup", last}, {"stage", last},     {"epoch", last},  {"noise", last},
               {"loss", last},  {"optimizer", last}, {"evaluation", 0}};
  for (int read_every : {1, 4})
    for (const auto& c : cases) {
      const std::string error = fail_one_rank(c.part, c.rank, read_every);
      EXPECT_FALSE(error.empty()) << c.part << ": rank " << g_mpi->rank() << " did not fail";
      if (g_mpi->rank() == 0) {
        EXPECT_NE(error.find(std::string("injected failure in ") + c.part), std::string::npos)
            << c.part << ": " << error;
        if (g_mpi->size() > 1) {
          EXPECT_NE(error.find("rank " + std::to_string(c.rank) + ": "), std::string::npos)
              << c.part << ": names the rank: " << error;
        }
      }
      // Every rank got here: nobody is left waiting in a collective. Prove it with one more.
      EXPECT_EQ(g_mpi->broadcast(g_mpi->rank() == 0 ? 9 : 0), 9) << c.part;
    }
}
