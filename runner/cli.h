#pragma once
// The `runner` command line: plan, run, status, query, slurm, import-mnist. Returns the process
// exit code: 0 done, 1 runtime failure (or a trial failed), 2 invalid input, 3 interrupted.
namespace runner {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitInvalid = 2;
// Stopped by a signal (SLURM's time-limit warning, preemption, scancel, Ctrl-C): the trials in
// flight are checkpointed and marked interrupted; running the sweep again goes on from there.
constexpr int kExitInterrupted = 3;

int run_cli(int argc, char** argv);

}  // namespace runner
