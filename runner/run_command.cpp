// `runner run`: rank 0 prepares the sweep and the store, then every rank takes part in the run.
#include <iostream>
#include <memory>

#include "cluster/mpi_context.h"
#include "cluster/signals.h"
#include "results/store.h"
#include "runner/checkpoint.h"
#include "runner/commands.h"
#include "runner/scheduler.h"
#include "runner/store_sink.h"
#include "runner/summary.h"
#include "runner/training.h"
#include "util/errors.h"
#include "util/files.h"

namespace runner {
namespace {

// What rank 0 holds for a run: the validated plan, the open store, and the trials that still
// need training, with the checkpoints they go on from.
struct PreparedSweep {
  Plan plan;
  std::unique_ptr<results::Store> store;
  std::vector<Assignment> todo;
};

// The assignment of trial `i` of the plan.
Assignment assignment_of(const Plan& plan, std::size_t i) {
  Assignment t;
  t.trial_id = plan.trials[i].id;
  t.seed = plan.trials[i].seed;
  t.config = plan.configs[i];
  t.threads = plan.spec.cluster.threads_per_rank;
  t.collective_timeout_s = plan.spec.cluster.collective_timeout_s;
  return t;
}

// Validates everything before anything is written, then opens the store and lists what to run.
std::unique_ptr<PreparedSweep> prepare_sweep(const Args& a, int world, int& ranks_per_trial) {
  need_positional(a, 1, "one sweep file");
  auto p = std::make_unique<PreparedSweep>();
  p->plan = make_plan(a.positional[0], a.sets);
  ranks_per_trial = layout_for(p->plan, world).ranks_per_trial;
  const std::string db = db_path(a, p->plan);
  util::make_parent_dirs(db);
  p->store = std::make_unique<results::Store>(db, &std::cerr);
  std::vector<results::TrialRow> rows;
  for (const auto& t : p->plan.trials)
    rows.push_back({t.id, t.config_json, t.config_hash, t.repeat, t.seed});
  auto ids = p->store->prepare(p->plan.spec.name, rows, a.retry_failed);
  const CheckpointDir checkpoints(db, p->plan.spec.name);
  for (std::size_t i = 0, next = 0; i < p->plan.trials.size(); ++i) {
    if (next < ids.size() && p->plan.trials[i].id == ids[next]) {
      p->todo.push_back(assignment_of(p->plan, i));
      ++next;
    } else if (!a.keep_checkpoints) {
      // A finished trial keeps no checkpoint (a crash right after it finished may leave one).
      checkpoints.remove(p->plan.trials[i].id);
    }
  }
  std::cout << "sweep " << p->plan.spec.name << ": " << p->plan.trials.size() << " trials, "
            << p->plan.trials.size() - p->todo.size() << " already done, " << p->todo.size()
            << " to run  (database " << db << ")" << std::endl;
  return p;
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

// Rank 0's part once the others train: schedule, record, and say how it ended.
int lead_run(cluster::MpiContext& mpi, const cluster::Layout& layout, PreparedSweep& p,
             const Executor& execute, bool keep_checkpoints) {
  StoreSink sink(*p.store, p.plan, p.todo.size(), std::cout, keep_checkpoints);
  const bool interrupted = run_trials(mpi, layout, p.todo, &sink, execute);
  print_summary(*p.store, p.plan, std::cout);
  if (interrupted) {
    std::cout << "interrupted by signal " << cluster::stop_signal() << ": " << sink.interrupted()
              << " trial(s) checkpointed; run the same command again to go on" << std::endl;
    return util::kExitInterrupted;
  }
  auto q = p.store->db().prepare(
      "SELECT count(*) FROM trials WHERE sweep = ? AND status != 'completed'");
  q.bind(1, p.plan.spec.name);
  q.step();
  return q.integer(0) == 0 ? util::kExitOk : util::kExitFailure;
}

}  // namespace

cluster::Layout layout_for(const Plan& plan, int world) {
  const auto& c = plan.spec.cluster;
  const cluster::Layout layout(world, static_cast<int>(c.ranks_per_trial));
  if (layout.groups == 0)
    throw util::InputError(
        plan.spec.source_of("cluster.ranks_per_trial"), "cluster.ranks_per_trial",
        std::to_string(c.ranks_per_trial) + " ranks per trial need at least " +
            std::to_string(c.ranks_per_trial + 1) + " MPI ranks (rank 0 schedules), this job has " +
            std::to_string(world));
  if (layout.idle > 0)
    std::cout << "warning: " << layout.idle << " rank(s) left idle: " << world - 1
              << " training ranks do not split into groups of " << c.ranks_per_trial << std::endl;
  return layout;
}

int cmd_run(Args& a) {
  cluster::MpiContext mpi(&a.argc, &a.argv);
  cluster::install_stop_handlers();
  std::unique_ptr<PreparedSweep> prepared;
  int code = util::kExitOk;
  int ranks_per_trial = 1;
  if (mpi.rank() == 0) {
    try {
      prepared = prepare_sweep(a, mpi.size(), ranks_per_trial);
    } catch (const std::exception& e) {
      std::cerr << "error: " << e.what() << std::endl;
      code = util::exit_code_for(e);
    }
  }
  if ((code = mpi.broadcast(code)) != util::kExitOk) return code;
  const cluster::Layout layout(mpi.size(), mpi.broadcast(ranks_per_trial));

  const std::int64_t threads = default_threads(mpi);
  // Destroyed before `mpi`: NCCL communicators must go before MPI_Finalize.
  cluster::Backends backends;
  Executor execute = [threads, &backends](const Assignment& assigned, cluster::Group& group,
                                          const TrialHooks& hooks) {
    Assignment local = assigned;
    if (local.threads <= 0) local.threads = threads;
    TrialHooks with_backends = hooks;
    with_backends.backends = &backends;
    return train_trial(local, group, with_backends);
  };
  if (mpi.rank() != 0) {
    run_trials(mpi, layout, {}, nullptr, execute);
    return util::kExitOk;
  }
  try {
    return lead_run(mpi, layout, *prepared, execute, a.keep_checkpoints);
  } catch (const std::exception& e) {
    // The store failed under us: stop every rank rather than leave them waiting for work.
    std::cerr << "error: " << e.what() << std::endl;
    if (mpi.size() > 1) mpi.abort(util::kExitFailure);
    return util::kExitFailure;
  }
}

}  // namespace runner
