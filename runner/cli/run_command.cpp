// `runner run`: rank 0 prepares the sweep and the store, then every rank takes part in the run.
#include <algorithm>
#include <iostream>
#include <memory>

#include "cluster/backend.h"
#include "cluster/mpi_context.h"
#include "cluster/signals.h"
#include "results/store.h"
#include "runner/record/checkpoint_dir.h"
#include "runner/cli/commands.h"
#include "runner/schedule/scheduler.h"
#include "runner/record/store_sink.h"
#include "runner/record/summary.h"
#include "runner/train/training.h"
#include "util/errors.h"
#include "util/files.h"

namespace runner {
namespace {

// What rank 0 holds for a run: the validated plan, the open store, and the trials that still
// need training, with the checkpoints they go on from.
struct PreparedSweep {
  Plan plan;
  std::unique_ptr<results::Store> store;
  std::unique_ptr<Proposer> search;  // with [sweep.search]
  std::vector<Assignment> todo;
};

// Validates everything before anything is written, then opens the store and lists what to run.
std::unique_ptr<PreparedSweep> prepare_sweep(const Args& a, const cluster::MpiContext& mpi,
                                             int& ranks_per_trial, int& rank0_trains) {
  if (a.positional.size() != 1) throw util::usage_error("expected one sweep file");
  auto p = std::make_unique<PreparedSweep>();
  p->plan = make_plan(a.positional[0], a.sets);
  for (const auto& note : p->plan.notes) std::cout << "note: " << note << std::endl;
  rank0_trains = p->plan.spec.cluster.rank0_trains && mpi.threads_concurrent();
  if (p->plan.spec.cluster.rank0_trains && !rank0_trains && mpi.size() > 1)
    std::cout << "warning: this MPI library does not let threads call it at once "
                 "(MPI_THREAD_MULTIPLE): rank 0 only schedules"
              << std::endl;
  ranks_per_trial = layout_for(p->plan, mpi.hosts(), rank0_trains).ranks_per_trial;
  const std::string db = db_path(a, p->plan);
  util::make_parent_dirs(db);
  p->store = std::make_unique<results::Store>(db, &std::cerr);
  if (p->plan.spec.searching()) {
    p->search = std::make_unique<Proposer>(*p->store, p->plan);
    p->search->add_recorded();  // what earlier runs proposed: trained first if unfinished
  }
  const auto rows = trial_rows(p->plan);
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
            << " to run";
  if (p->search)
    std::cout << ", " << p->search->left() << " more to propose ("
              << sweeps::name_of(p->plan.spec.search.sampler) << " over " << p->plan.parts.size()
              << " part(s) of " << p->plan.spec.search.trials << ")";
  std::cout << "  (database " << db << ")" << std::endl;
  return p;
}

// LibTorch threads of a training rank: its cores, shared with the other training ranks on the
// node (rank 0 among them: it trains beside its scheduling, which mostly sleeps).
std::int64_t default_threads(const cluster::MpiContext& mpi, const cluster::Layout& layout) {
  int trainers = 0;
  for (int r = 0; r < mpi.size(); ++r)
    if (mpi.host_of(r) == mpi.host() && layout.group_of(r) >= 0) ++trainers;
  int cores = cluster::cores_available();
  // Under a launcher that binds each rank to its own cores, the affinity mask already says it.
  return std::max(1, std::min(cores, cluster::cores_on_node() / std::max(1, trainers)));
}

// "12 ms median, 40 ms max over 30 hand-outs": how long groups waited for their next trial.
std::string wait_summary(std::vector<double> waits) {
  if (waits.empty()) return "";
  std::sort(waits.begin(), waits.end());
  auto ms = [](double s) { return util::format_fixed(s * 1e3, 1) + " ms"; };
  return ms(waits[waits.size() / 2]) + " median, " + ms(waits.back()) + " max over " +
         std::to_string(waits.size()) + " hand-outs";
}

// "2 trial(s) are still training in other runs: 1a2b3c (run 4), ...; this run ends here".
void say_held_elsewhere(const std::vector<std::pair<std::string, std::int64_t>>& trials,
                        std::ostream& out) {
  out << trials.size() << " trial(s) are still training in other runs:";
  for (std::size_t i = 0; i < trials.size(); ++i)
    out << (i ? ", " : " ") << trials[i].first << " (run " << trials[i].second << ")";
  out << ". Nothing else is left for this run: it ends here, and those runs record them "
         "(runner status follows them)."
      << std::endl;
}

// Rank 0's part: schedule, record, train in its own group, and say how it ended.
int lead_run(cluster::MpiContext& mpi, const cluster::Layout& layout, PreparedSweep& p,
             const Executor& execute, const ArrayExecutor& execute_array, bool keep_checkpoints) {
  const double lease_s = p.plan.spec.cluster.lease_s;
  p.store->begin_run(p.plan.spec.name, mpi.size(), lease_s);
  RunEnd end;
  std::size_t interrupted = 0;
  {
    results::LeaseKeeper keeper(p.store->db().path(), p.store->run_id(), lease_s);
    StoreSink sink(*p.store, p.plan, p.todo.size(), std::cout, {keep_checkpoints, true},
                   p.search.get());
    SchedulerOptions options;
    options.heartbeat_s = p.plan.spec.cluster.heartbeat_s;
    options.fuse = p.plan.spec.cluster.fuse;
    end = run_trials(mpi, layout, p.todo, &sink, execute, options, execute_array);
    sink.close();
    interrupted = sink.interrupted();
  }
  p.store->end_run();
  print_summary(*p.store, p.plan, std::cout);
  const auto elsewhere = p.store->held_elsewhere(p.plan.spec.name);
  if (!elsewhere.empty()) say_held_elsewhere(elsewhere, std::cout);
  if (const auto waits = wait_summary(end.waits_s); !waits.empty())
    std::cout << "dispatch: groups waited " << waits << " for their next trial" << std::endl;
  if (!end.silent.empty()) {
    // A hung rank never reaches MPI_Finalize: end the job, with what was recorded kept.
    for (int r : end.silent)
      std::cerr << "error: rank " << r << " on " << mpi.host_of(r)
                << " went silent for more than cluster.heartbeat_s = "
                << p.plan.spec.cluster.heartbeat_s
                << " s; its trial went to another group. Ending the job." << std::endl;
    mpi.abort(util::kExitFailure);
  }
  if (end.stopped) {
    std::cout << "interrupted by signal " << cluster::stop_signal() << ": " << interrupted
              << " trial(s) checkpointed; run the same command again to go on" << std::endl;
    return util::kExitInterrupted;
  }
  // Trials other runs train are theirs to finish; this run did its share.
  return results::unfinished_trials(p.store->db(), p.plan.spec.name) ==
                 static_cast<std::int64_t>(elsewhere.size())
             ? util::kExitOk
             : util::kExitFailure;
}

}  // namespace

cluster::Layout layout_for(const Plan& plan, const std::vector<std::string>& hosts,
                           bool scheduler_trains) {
  const auto& c = plan.spec.cluster;
  const int per_trial = static_cast<int>(c.ranks_per_trial);
  const cluster::Layout layout(hosts, per_trial, scheduler_trains);
  const int trainers = layout.trainers;
  if (layout.count() == 0)
    throw util::InputError(
        plan.spec.source_of("cluster.ranks_per_trial"), "cluster.ranks_per_trial",
        std::to_string(per_trial) + " ranks per trial need at least " + std::to_string(per_trial) +
            " training ranks, this job has " + std::to_string(trainers) +
            (trainers < static_cast<int>(hosts.size()) ? " (rank 0 only schedules)" : ""));
  for (int g : layout.spanning) {
    std::string where;
    for (int r : layout.members(g))
      where += (where.empty() ? "" : ", ") + std::to_string(r) + " on " + hosts[r];
    std::cout << "warning: ranks " << where << " train one trial across nodes (the ranks of "
              << "each node do not split into groups of " << per_trial
              << "): their allreduce crosses the network" << std::endl;
  }
  if (!layout.idle.empty())
    std::cout << "warning: " << layout.idle.size() << " rank(s) left idle: " << trainers
              << " training ranks do not split into groups of " << per_trial << std::endl;
  return layout;
}

int cmd_run(Args& a) {
  cluster::MpiContext mpi(&a.argc, &a.argv);
  cluster::install_stop_handlers();
  std::unique_ptr<PreparedSweep> prepared;
  int code = util::kExitOk;
  int ranks_per_trial = 1, rank0_trains = 1;
  if (mpi.rank() == 0) {
    try {
      prepared = prepare_sweep(a, mpi, ranks_per_trial, rank0_trains);
    } catch (const std::exception& e) {
      std::cerr << "error: " << e.what() << std::endl;
      code = util::exit_code_for(e);
    }
  }
  if ((code = mpi.broadcast(code)) != util::kExitOk) return code;
  ranks_per_trial = mpi.broadcast(ranks_per_trial);
  const cluster::Layout layout(mpi.hosts(), ranks_per_trial, mpi.broadcast(rank0_trains) != 0);

  const std::int64_t threads = default_threads(mpi, layout);
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
  ArrayExecutor execute_array =
      [threads, &backends](const std::vector<Assignment>& assigned, cluster::Group& group,
                           const std::vector<TrialHooks>& hooks, const LeaveCallback& leave) {
        std::vector<Assignment> local = assigned;
        for (auto& a : local)
          if (a.threads <= 0) a.threads = threads;
        std::vector<TrialHooks> with_backends = hooks;
        for (auto& h : with_backends) h.backends = &backends;
        train_array(local, group, with_backends, leave);
      };
  if (mpi.rank() != 0) {
    run_trials(mpi, layout, {}, nullptr, execute, {}, execute_array);
    return util::kExitOk;
  }
  try {
    return lead_run(mpi, layout, *prepared, execute, execute_array, a.keep_checkpoints);
  } catch (const std::exception& e) {
    // The store failed under us: stop every rank rather than leave them waiting for work.
    std::cerr << "error: " << e.what() << std::endl;
    if (mpi.size() > 1) mpi.abort(util::kExitFailure);
    return util::kExitFailure;
  }
}

}  // namespace runner
