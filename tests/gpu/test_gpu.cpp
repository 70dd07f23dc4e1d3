// Trials on GPUs: label `gpu`, skipped with a message where LibTorch sees no GPU. Run alone, a
// trial trains on one GPU; under `mpirun -np 2` the world is one group on two GPUs, reduced by
// NCCL. Both are compared with the same trial on the CPU. scripts/gpu-check.sh runs them.
#include <gtest/gtest.h>

#include "cluster/backend.h"
#include "cluster/group.h"
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
