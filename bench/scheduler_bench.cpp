// A benchmark harness, not a product mode: the real scheduler and store (rank 0's StoreSink, the
// SQLite file, checkpoint files beside it) driven by a trial executor that only sleeps and
// reports. bench/scheduler.sh runs it at several sizes; rank 0 prints one line of figures.
//
//   mpirun -np N build/bench/scheduler_bench SWEEP.toml DB EPOCHS EPOCH_MS CHECKPOINT_BYTES
//          grouped|baseline
#include <chrono>
#include <fstream>
#include <iostream>
#include <thread>

#include "cluster/mpi_context.h"
#include "results/store.h"
#include "runner/plan.h"
#include "runner/schedule/scheduler.h"
#include "runner/record/store_sink.h"

namespace {

struct BenchArgs {
  std::string sweep, db;
  int epochs = 0;
  double epoch_ms = 0;
  std::size_t checkpoint_bytes = 0;
  bool grouped = true;
};

BenchArgs parse(int argc, char** argv) {
  if (argc != 7) {
    std::cerr << "usage: scheduler_bench SWEEP.toml DB EPOCHS EPOCH_MS CHECKPOINT_BYTES "
                 "grouped|baseline\n";
    std::exit(2);
  }
  return {argv[1],
          argv[2],
          std::stoi(argv[3]),
          std::stod(argv[4]),
          static_cast<std::size_t>(std::stoul(argv[5])),
          std::string(argv[6]) == "grouped"};
}

// Sleeps and reports: EPOCHS epochs of EPOCH_MS each, a checkpoint of CHECKPOINT_BYTES with each.
runner::Executor sleeping_executor(const BenchArgs& b) {
  return [b, checkpoint = std::string(b.checkpoint_bytes, 'c')](
             const runner::Assignment&, cluster::Group&, const runner::TrialHooks& hooks) {
    for (int e = 1; e <= b.epochs; ++e) {
      std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(b.epoch_ms));
      if (hooks.should_stop && hooks.should_stop()) break;
      if (hooks.on_epoch) hooks.on_epoch(e, {{"train_loss", 1.0 / e}}, checkpoint);
    }
    return runner::TrialOutput{{{"recon_mse", 0.01}}, {}, false, ""};
  };
}

}  // namespace

int main(int argc, char** argv) {
  cluster::MpiContext mpi(&argc, &argv);
  const BenchArgs b = parse(argc, argv);
  const cluster::Layout layout(mpi, 1);
  runner::Plan plan;
  std::unique_ptr<results::Store> store;
  std::vector<runner::Assignment> todo;
  if (mpi.rank() == 0) {
    plan = runner::make_plan(b.sweep, {});
    store = std::make_unique<results::Store>(b.db);
    const auto rows = runner::trial_rows(plan);
    store->prepare(plan.spec.name, rows, false);
    for (const auto& t : plan.trials) {
      runner::Assignment a;
      a.trial_id = t.id;
      a.seed = t.seed;
      todo.push_back(a);
    }
  }
  std::ofstream quiet("/dev/null");
  std::unique_ptr<runner::StoreSink> sink;
  if (mpi.rank() == 0)
    sink = std::make_unique<runner::StoreSink>(*store, plan, todo.size(), quiet,
                                               runner::SinkOptions{false, b.grouped});
  runner::SchedulerOptions options;
  if (!b.grouped) options.commit_window_s = 0;
  MPI_Barrier(MPI_COMM_WORLD);
  const auto t0 = std::chrono::steady_clock::now();
  const auto end = runner::run_trials(mpi, layout, todo, sink.get(), sleeping_executor(b), options);
  if (mpi.rank() != 0) return 0;
  sink->close();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double trials = static_cast<double>(todo.size());
  const double reports = trials * b.epochs;
  std::cout << "ranks=" << mpi.size() << " design=" << (b.grouped ? "grouped" : "baseline")
            << " trials=" << todo.size() << " reports=" << reports << " seconds=" << s
            << " trials_per_s=" << trials / s << " reports_per_s=" << reports / s
            << " silent=" << end.silent.size() << std::endl;
  return 0;
}
