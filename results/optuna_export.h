#pragma once
// A sweep as an Optuna study: the journal file that optuna.storages.JournalFileStorage replays
// (one JSON operation per line, the format of Optuna 3.1's optuna/storages/_journal/storage.py),
// so that optuna-dashboard and Optuna's importance and plots work on runner sweeps:
//
//   optuna.load_study(study_name=NAME, storage=optuna.storages.JournalStorage(
//       optuna.storages.JournalFileStorage(FILE)))
//
// The study holds the sweep's completed, pruned and failed trials, in the order they started.
// Parameters are the config keys whose values differ between the sweep's trials: whole numbers
// as IntDistribution, other numbers as FloatDistribution (on a log scale when they span two
// decades or more), anything else as CategoricalDistribution (lists as their JSON text), each
// from the lowest to the highest value the sweep tried. The objectives are final metrics (a
// search's own, or one chosen); with one, the intermediate values are its per-epoch series (the
// metric itself, or "test_" + it); with several, the study is multi-objective (Optuna keeps no
// intermediate values there). The trial's
// id, repeat, seed, config, final metrics and error are user attributes.
#include <cstddef>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "results/proposals.h"
#include "results/sqlite.h"

namespace results {

struct OptunaExport {
  std::string sweep;
  std::vector<SearchObjective> objectives = {{"recon_mse", false}};  // final metrics
};

struct OptunaExportSummary {
  std::size_t complete = 0, pruned = 0, failed = 0;
  std::size_t left_out = 0;         // pending, running, interrupted or stale: not in the study
  std::vector<std::string> params;  // the varied keys
  std::string series;               // the series given as intermediate values ("" if none)
};

// What the export was asked for that the database does not have: `field` is "sweep" or
// "objective", and the message lists what there is.
struct ExportInputError : std::invalid_argument {
  ExportInputError(const std::string& field, const std::string& message)
      : std::invalid_argument(message), field(field) {}
  std::string field;
};

// Writes the journal of `e.sweep` to `out`. Throws ExportInputError when the database has no
// such sweep or no trial of it has the objective.
OptunaExportSummary write_optuna_journal(Database& db, const OptunaExport& e, std::ostream& out);

}  // namespace results
