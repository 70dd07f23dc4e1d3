#pragma once
// The `runner` command line: plan, run, status, query, slurm, import-mnist. Returns the process
// exit code (util/errors.h): 0 done, 1 runtime failure (or a trial failed), 2 invalid input,
// 3 interrupted.
namespace runner {

int run_cli(int argc, char** argv);

// Set when the runner started itself again with a better OpenBLAS kernel (runner/main.cpp): why.
inline constexpr const char* kBlasChoiceVariable = "RUNNER_BLAS_CHOICE";

}  // namespace runner
