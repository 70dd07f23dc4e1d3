#pragma once
// The `runner` command line: plan, run, query, import-mnist. Returns the process exit code:
// 0 done, 1 runtime failure (or a trial failed), 2 invalid input.
namespace runner {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitInvalid = 2;

int run_cli(int argc, char** argv);

}  // namespace runner
