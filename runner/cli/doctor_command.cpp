// `runner doctor` (and `runner --version`): what this build and this node give a trial.
#include <torch/torch.h>
#include <torch/version.h>

#include <cstdlib>
#include <iostream>

#include "cluster/nccl_backend.h"
#include "cluster/blas.h"
#include "cluster/mpi_context.h"
#include "runner/cli/cli.h"
#include "runner/cli/commands.h"
#include "util/errors.h"

namespace runner {
namespace {

// Who chose the BLAS kernel in use.
std::string kernel_origin() {
  if (const char* why = std::getenv(kBlasChoiceVariable)) return "chosen by the runner: " + std::string(why);
  if (const char* mine = std::getenv("OPENBLAS_CORETYPE"))
    return "OPENBLAS_CORETYPE=" + std::string(mine) + ", set by you";
  return "chosen by OpenBLAS";
}

}  // namespace

int cmd_doctor(Args&) {
  const auto blas = cluster::loaded_blas();
  const auto flags = cluster::this_cpu_flags();
  std::string simd;
  for (const char* f : {"avx", "avx2", "fma", "avx512f", "avx512_bf16", "amx_tile"})
    if (flags.count(f)) simd += std::string(simd.empty() ? "" : " ") + f;
  std::cout << "runner " << RUNNER_VERSION << "\n"
            << "LibTorch " << TORCH_VERSION << " (C++" << __cplusplus / 100 % 100 << ")\n";
  if (blas.kernel.empty())
    std::cout << "BLAS: not OpenBLAS (no openblas_get_corename): its speed is not checked\n";
  else
    std::cout << "BLAS: " << blas.library << "\n  kernel " << blas.kernel << " ("
              << kernel_origin() << ")\n";
  std::cout << "CPU: " << (simd.empty() ? "no AVX" : simd) << "; " << cluster::cores_available()
            << " core(s) available of " << cluster::cores_on_node() << " on the node; LibTorch "
            << at::get_num_threads() << " thread(s) by default\n"
            << "CUDA: " << torch::cuda::device_count() << " GPU(s) visible to LibTorch\n"
            << "NCCL: " << (cluster::nccl_built() ? "built" : "not built (RUNNER_WITH_NCCL=OFF)")
            << std::endl;
  return util::kExitOk;
}

}  // namespace runner
