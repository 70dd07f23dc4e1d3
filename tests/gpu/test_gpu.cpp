// Trials on GPUs: label `gpu`, skipped with a message where LibTorch sees no GPU. Run alone, a
// trial trains on one GPU; under `mpirun -np 2` the world is one group on two GPUs, reduced by
// NCCL. Both are compared with the same trial on the CPU. scripts/gpu-check.sh runs them.
#include <gtest/gtest.h>

#include "cluster/backend.h"
#include "cluster/group.h"
#include "runner/checkpoint.h"
#include "runner/train/training.h"
#include "tests/mpi_test_main.h"
#include "tests/testutil.h"

namespace {

using testutil::metric;

struct GpuRun {
  runner::TrialOutput out;
  torch::Tensor weights;
};

GpuRun train_on(runner::Assignment a, sweeps::Device device, cluster::Group& group,
                cluster::Backends& backends) {
  a.config.train.device = device;
  runner::TrialHooks hooks;
  hooks.backends = &backends;
  GpuRun r;
  r.out = runner::train_trial(a, group, hooks, &r.weights);
  return r;
}

// The GPUs this test needs, or why it cannot run here.
std::string missing_gpus(int ranks) {
  const auto gpus = static_cast<int>(torch::cuda::device_count());
  if (gpus == 0) return "no GPU here (LibTorch sees none)";
  if (gpus < ranks)
    return std::to_string(ranks) + " ranks need as many GPUs, this node has " +
           std::to_string(gpus);
  return "";
}

}  // namespace

TEST(Gpu, DenseAndVaeTrialsOnCudaMatchTheCpu) {
  cluster::Group group(*g_mpi, MPI_COMM_WORLD);
  if (const auto why = missing_gpus(group.size()); !why.empty()) GTEST_SKIP() << why;
  cluster::Backends backends;
  for (const char* kind : {"dense", "vae"}) {
    auto a = testutil::tiny_trial(std::string("gpu-") + kind, 7, 1000, 300);
    a.config.model.kind = testutil::kind(kind);
    a.collective_timeout_s = 120;
    const GpuRun gpu = train_on(a, sweeps::Device::kCuda, group, backends);
    if (group.rank() != 0) continue;
    cluster::Group alone(*g_mpi, MPI_COMM_SELF);
    const GpuRun gpu_alone = train_on(a, sweeps::Device::kCuda, alone, backends);
    const GpuRun cpu = train_on(a, sweeps::Device::kCpu, alone, backends);
    // Same noise on one GPU or two (drawn for the whole batch on each): float rounding only.
    EXPECT_LT((gpu.weights - gpu_alone.weights).abs().max().item<double>(), 1e-3) << kind;
    // Against the CPU: the dense trial differs by rounding; the VAE's noise comes from the GPU's
    // generator, so only its figures are comparable.
    const double tolerance = std::string(kind) == "dense" ? 1e-3 : 0.1;
    const double cpu_mse = metric(cpu.out.metrics, "recon_mse");
    EXPECT_NEAR(metric(gpu.out.metrics, "recon_mse"), cpu_mse, tolerance * cpu_mse) << kind;
    EXPECT_GT(metric(gpu.out.metrics, "probe_accuracy"), 0.5) << kind << ": the probe on GPU codes";
    EXPECT_FALSE(gpu.out.artifacts.empty()) << kind << ": pictures drawn from GPU tensors";
    if (std::string(kind) == "vae") {
      EXPECT_GT(metric(gpu.out.metrics, "adversary_accuracy"), 0.1) << "the adversary on the GPU";
    }
  }
}

// Every kind on one GPU, against the same trial on the CPU: figures of the same size (noise and
// binary codes are drawn from the GPU's generator there), a probe that learnt, pictures drawn.
TEST(Gpu, EveryKindTrainsOnCudaAsOnTheCpu) {
  cluster::Group alone(*g_mpi, MPI_COMM_SELF);
  if (const auto why = missing_gpus(1); !why.empty()) GTEST_SKIP() << why;
  if (g_mpi->rank() != 0) return;
  cluster::Backends backends;
  for (const char* kind : {"dense", "sparse_l1", "sparse_binary", "contractive", "conv",
                           "randomized", "vae", "icvae", "torchscript"}) {
    auto a = testutil::tiny_trial(std::string("gpu-") + kind, 9, 1000, 300);
    a.config.model.kind = testutil::kind(kind);
    if (std::string(kind) == "conv") a.config.model.channels = {4, 8};
    // A module's parameters move to the GPU with the model that holds them.
    a.config.model.file = std::string(RUNNER_TORCHSCRIPT_DIR) + "/dense_reset.pt";
    const GpuRun gpu = train_on(a, sweeps::Device::kCuda, alone, backends);
    const GpuRun cpu = train_on(a, sweeps::Device::kCpu, alone, backends);
    const double cpu_mse = metric(cpu.out.metrics, "recon_mse");
    EXPECT_NEAR(metric(gpu.out.metrics, "recon_mse"), cpu_mse, 0.2 * cpu_mse) << kind;
    EXPECT_GT(metric(gpu.out.metrics, "probe_accuracy"), 0.3) << kind;
    EXPECT_EQ(gpu.out.artifacts.size(), cpu.out.artifacts.size()) << kind << ": every picture";
  }
}

// A fused array on one GPU ends as its members trained alone on it: the same weights but for the
// summation order of batched products, for each kind that fuses, blotches and mask input too.
TEST(Gpu, AFusedArrayOnCudaEndsAsItsMembersAlone) {
  cluster::Group alone(*g_mpi, MPI_COMM_SELF);
  if (const auto why = missing_gpus(1); !why.empty()) GTEST_SKIP() << why;
  if (g_mpi->rank() != 0) return;
  cluster::Backends backends;
  for (const char* kind : {"dense", "sparse_binary", "conv", "vae", "icvae"}) {
    std::vector<runner::Assignment> members;
    for (int k = 0; k < 3; ++k) {
      auto a =
          testutil::tiny_trial("fused-" + std::string(kind) + std::to_string(k), 31 + k, 600, 200);
      a.config.model.kind = testutil::kind(kind);
      if (std::string(kind) == "conv") a.config.model.channels = {4, 8};
      if (std::string(kind) == "dense") {
        a.config.corruption.kind = sweeps::CorruptionKind::kBlotch;
        a.config.corruption.mask_input = true;
      }
      a.config.train.lr = 1e-3 * (k + 1);
      a.config.train.device = sweeps::Device::kCuda;
      members.push_back(a);
    }
    std::vector<std::string> fused_last(members.size()), alone_last(members.size());
    std::vector<runner::TrialHooks> hooks(members.size());
    for (std::size_t k = 0; k < members.size(); ++k) {
      hooks[k].backends = &backends;
      hooks[k].checkpoints = true;
      hooks[k].on_epoch = [&fused_last, k](std::int64_t, const runner::Metrics&,
                                           const std::string& c) { fused_last[k] = c; };
    }
    runner::train_array(members, alone, hooks, [](std::size_t, runner::TrialOutput o) {
      EXPECT_TRUE(o.error.empty()) << o.error;
    });
    for (std::size_t k = 0; k < members.size(); ++k) {
      runner::TrialHooks h = hooks[k];
      h.on_epoch = [&alone_last, k](std::int64_t, const runner::Metrics&, const std::string& c) {
        alone_last[k] = c;
      };
      runner::train_trial(members[k], alone, h);
      const auto a = runner::decode_checkpoint(fused_last[k], "fused"),
                 b = runner::decode_checkpoint(alone_last[k], "alone");
      ASSERT_EQ(a.parameters.size(), b.parameters.size());
      const auto wa = torch::from_blob(const_cast<char*>(a.parameters.data()),
                                       {static_cast<std::int64_t>(a.parameters.size() / 4)});
      const auto wb = torch::from_blob(const_cast<char*>(b.parameters.data()),
                                       {static_cast<std::int64_t>(b.parameters.size() / 4)});
      EXPECT_LE((wa - wb).abs().max().item<double>(), 1e-3 * wb.abs().max().item<double>())
          << kind << " member " << k;
    }
  }
}
