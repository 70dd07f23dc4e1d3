#include <malloc.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "cluster/blas.h"
#include "cluster/mpi_context.h"
#include "runner/cli/cli.h"

namespace {

// Whether this process is the first of its job (or alone): the one that speaks for all.
bool first_of_job() {
  const auto rank = cluster::launcher_rank();
  return !rank || *rank == 0;
}

// OpenBLAS chooses its kernel as it is loaded, before main: a better one than its generic
// fallback needs the process started again with OPENBLAS_CORETYPE set (cluster/blas.h).
void choose_blas_kernel(char** argv) {
  if (const char* why = std::getenv(runner::kBlasChoiceVariable)) {  // started again below
    if (first_of_job()) std::cerr << "blas: " << why << std::endl;
    return;
  }
  const auto blas = cluster::loaded_blas();
  const auto choice = cluster::better_kernel(blas.kernel, cluster::this_cpu_flags(),
                                             std::getenv("OPENBLAS_CORETYPE"));
  if (!choice) return;
  setenv("OPENBLAS_CORETYPE", choice->coretype.c_str(), 1);
  setenv(runner::kBlasChoiceVariable, choice->why.c_str(), 1);
  execv("/proc/self/exe", argv);
  // Could not start again: go on with OpenBLAS's own choice.
  unsetenv("OPENBLAS_CORETYPE");
  unsetenv(runner::kBlasChoiceVariable);
}

}  // namespace

int main(int argc, char** argv) {
  choose_blas_kernel(argv);
  // LibTorch mallocs every activation and gradient of every step. Above glibc's mmap threshold
  // those come as fresh mappings each time, and their page faults took ~15% of a training step in
  // profiles here; keep such buffers in the heap and let the heap grow instead.
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
  const int code = runner::run_cli(argc, argv);
  // Everything of ours is closed by now (the database, MPI, checkpoints). What exit() would still
  // run is static destructors, LibTorch deregistering its thousands of operators one by one among
  // them: ~0.1 s of every process here.
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  std::_Exit(code);
}
