#pragma once
// The SQLite results store. Rank 0 is its only writer. Every change is atomic (its own transaction,
// or a savepoint inside the caller's: rank 0 groups what arrived together into one), so a killed
// job leaves each trial either as it was or wholly updated; WAL lets `runner query` read while a
// sweep writes.
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "results/leases.h"
#include "results/sqlite.h"
#include "util/metrics.h"

namespace results {

using util::Artifacts;  // (kind, PNG bytes) of a trial's pictures
using util::Metrics;

struct TrialRow {
  std::string id, config_json, config_hash;
  std::int64_t repeat = 0, seed = 0;
  std::int64_t series_epochs = 0;  // models::series_epochs of its config
};

class Store {
 public:
  // Opens or creates the store. On a network file system it warns on `warnings` and keeps a
  // rollback journal instead of WAL (see network_filesystem_of).
  explicit Store(const std::string& path, std::ostream* warnings = nullptr);

  // Adds the trials the store lacks as `pending` and returns the ids, in the given order, that
  // still need a run: pending, running (left by a killed job, or held by another run) and, if
  // asked, failed (which claims then take too).
  std::vector<std::string> prepare(const std::string& sweep, const std::vector<TrialRow>& trials,
                                   bool retry_failed);

  // Runs sharing the database (results/leases.h). Registers this process as a run of `sweep`
  // on `ranks` ranks whose claims last lease_s unless renewed, and returns its id: claims made
  // through this store are then this run's. Without it, claims hold no lease (tests, benches).
  std::int64_t begin_run(const std::string& sweep, int ranks, double lease_s);
  void end_run();
  std::int64_t run_id() const { return run_id_; }
  // Who holds trial `id`, as this run sees it.
  Holder holder_of(const std::string& id);
  // Takes trial `id` for this run (status running, this run's lease) if nobody holds it.
  bool claim(const std::string& id);
  // Trial `id`, claimed and marked running, is not trained yet (it could not join the fused array
  // it was claimed for): the attempt is not counted, and this run keeps its claim (other runs
  // pass it over; a run that ends without it frees it as for any claim) and trains it later.
  void set_aside(const std::string& id);
  // Records that trials `ids` train together in one fused array, named by its first member.
  void set_array(const std::vector<std::string>& ids);
  // Whether this run still holds trial `id`: it loses it when its lease lapsed (the run was
  // suspended, say) and another run took it over.
  bool holds(const std::string& id);
  // The trials of `sweep` that other runs hold, with the runs' ids.
  std::vector<std::pair<std::string, std::int64_t>> held_elsewhere(const std::string& sweep);
  // Marks a trial running on `ranks`, on `hosts` (one per rank). Its series keeps epochs
  // 1..resume_epoch (those its checkpoint covers) and drops later ones of an earlier attempt: they
  // are trained again, so epochs never repeat.
  void mark_running(const std::string& id, const std::vector<int>& ranks,
                    const std::vector<std::string>& hosts, std::int64_t resume_epoch = 0);
  void add_epoch(const std::string& id, std::int64_t epoch, const Metrics& values);
  // Whether the trial's series holds every epoch 1..epoch (what a checkpoint at `epoch` needs).
  bool has_epochs_through(const std::string& id, std::int64_t epoch);
  // Stopped by a signal; a checkpoint beside the database says where.
  void interrupt(const std::string& id);
  // The pictures go in the database with the result (artifacts.png), in its transaction: a
  // sweep's file count does not grow with its trials; `runner report` writes them out.
  void complete(const std::string& id, const Metrics& final_metrics,
                const Artifacts& artifacts = {});
  // Stopped early (runner/early_stop.h): like complete, with the metrics where it stopped.
  void prune(const std::string& id, const Metrics& final_metrics,
             const Artifacts& artifacts = {});
  void fail(const std::string& id, const std::string& error);

  // Early stopping's record: the decision taken for a trial at an epoch, if any; recording one;
  // the values recorded at an epoch by the sweep's other trials; the other trials' running
  // averages of `metric` up to `epoch` (those that reached it); a trial's best value up to it.
  std::optional<bool> decision(const std::string& id, std::int64_t epoch);
  void record_decision(const std::string& id, std::int64_t epoch, const std::string& rule,
                       std::optional<double> value, bool keep);
  std::vector<double> rung_values(const std::string& sweep, std::int64_t epoch,
                                  const std::string& except);
  std::vector<double> running_averages(const std::string& sweep, const std::string& metric,
                                       std::int64_t epoch, const std::string& except);
  double best_value(const std::string& id, const std::string& metric, std::int64_t epoch,
                    bool lowest);
  // Several series at a rung: each other trial judged at `epoch`, with its values there of
  // `metrics` (those lacking one left out).
  std::vector<std::vector<double>> rung_points(const std::string& sweep, std::int64_t epoch,
                                               const std::vector<std::string>& metrics,
                                               const std::string& except);
  // Its group went silent; `why` says which rank, where and for how long. It runs again.
  void mark_stale(const std::string& id, const std::string& why);

  Database& db() { return db_; }

 private:
  void set_journal_mode(const std::string& pragma);
  void end_attempt(const std::string& id, const std::string& status,
                   const std::optional<std::string>& error);
  void finish(const std::string& id, const std::string& status, const Metrics& final_metrics,
              const Artifacts& artifacts);
  Database db_;
  bool retry_failed_ = false;
  std::int64_t run_id_ = 0;  // 0: no run registered
  double lease_s_ = 0;
  RunIdentity me_;
};

// The runs of a sweep that have not ended, as `runner status` lists them.
struct RunRow {
  std::int64_t id = 0, pid = 0, ranks = 0;
  std::string host, slurm_job, started_at;
  double quiet_s = 0, lease_s = 0;  // since its last renewal; its lease
  bool live = false;                // renewed within its lease, and not known dead on this host
  std::vector<std::string> trials;  // the trials it holds
};
std::vector<RunRow> open_runs(Database& db, const std::string& sweep);

// The network file system a statfs f_type denotes ("NFS", "Lustre", "GPFS", ...), or "" for a
// local one; and that of the folder holding `path`.
std::string network_filesystem_name(long f_type);
std::string network_filesystem_of(const std::string& path);

// UTC time as 2026-11-23T08:15:02Z.
std::string now_utc();


// The sweeps the database holds, by name; and "" if it holds `sweep`, else a message naming the
// sweeps it does hold (what `report` and `export` say about a --sweep it lacks).
std::vector<std::string> sweep_names(Database& db);
std::string missing_sweep(Database& db, const std::string& sweep);

// The config keys (dotted; lists whole) whose values differ between the trials of `sweep`, or
// that only some of them have: what a sweep varies.
std::vector<std::string> varied_keys(Database& db, const std::string& sweep);

// Each trial's status ("" when the database lacks it) and the final metrics named (none where it
// has no such metric), in the order given.
struct TrialFinals {
  std::string status;
  std::vector<std::optional<double>> values;
};
std::vector<TrialFinals> trial_finals(Database& db, const std::vector<std::string>& ids,
                                      const std::vector<std::string>& metrics);
// How many trials of `sweep` have not ended completed or pruned.
std::int64_t unfinished_trials(Database& db, const std::string& sweep);


}  // namespace results
