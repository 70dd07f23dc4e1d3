// `runner export --replay`: the schedule population-based training found, as a sweep file that
// trains it again as one ordinary trial (train.lr_schedule, loss.beta_schedule).
#include <iostream>
#include <sstream>

#include "results/population.h"
#include "results/proposals.h"
#include "runner/cli/commands.h"
#include "sweeps/piecewise.h"
#include "util/errors.h"
#include "util/files.h"
#include "util/json.h"

namespace runner {
namespace {

// Consecutive epochs with one value become one piece.
std::string pieces_of(const std::vector<util::Metrics>& epochs, const std::string& key) {
  std::vector<sweeps::Piece> pieces;
  for (std::size_t e = 0; e < epochs.size(); ++e) {
    const double v = *util::find_metric(epochs[e], key);
    if (pieces.empty() || pieces.back().value != v)
      pieces.push_back({static_cast<std::int64_t>(e) + 1, v});
  }
  return sweeps::pieces_text(pieces);
}

// The trial's config as dotted TOML keys, but for those the schedule replaces.
std::string config_lines(results::Database& db, const std::string& trial_id) {
  auto q = db.prepare(
      "SELECT ltrim(substr(j.path, 3) || '.' || j.key, '.'), j.type, j.value, j.atom "
      "FROM trials t, json_tree(t.config) j WHERE t.id = ? AND j.type <> 'object' "
      "AND j.path NOT LIKE '%]%' AND j.fullkey NOT LIKE '%]' ORDER BY 1");
  q.bind(1, trial_id);
  std::string out;
  while (q.step()) {
    const std::string key = q.text(0), type = q.text(1);
    if (key == "train.epochs" || key == "train.seed" || key == "train.lr_schedule" ||
        key == "loss.beta_schedule" || key == "model_file_hash")  // the last: not a key
      continue;
    // Each as TOML writes it; a real to the digits that read back to it.
    const std::string value = type == "text"                      ? util::json_string(q.text(3))
                              : type == "array"                   ? q.text(2)
                              : type == "real"                    ? util::format_double(q.real(3))
                              : type == "true" || type == "false" ? type
                                                                  : q.text(3);
    out += key + " = " + value + "\n";
  }
  return out;
}

}  // namespace

int export_replay(Args& a) {
  const std::string sweep = a.required("--sweep", "NAME"), file = a.value("--replay");
  results::Database db(a.db, results::Database::Mode::ReadOnly);
  const auto search =
      results::has_table(db, "searches") ? results::search_of(db, sweep) : std::nullopt;
  if (!search || search->sampler != "pbt")
    throw util::InputError({a.db, 0}, "--sweep", "sweep '" + sweep + "' is not a pbt search");
  const auto& objective = search->objectives.at(0);
  const std::string trial =
      a.values.count("--trial")
          ? a.value("--trial")
          : results::best_member(db, sweep, objective.metric, objective.maximize);
  if (trial.empty())
    throw util::InputError({a.db, 0}, "--sweep", "no member of '" + sweep + "' has completed");
  std::vector<std::string> keys;
  for (const auto& k : search->space)
    if (k == "train.lr" || k == "loss.beta") keys.push_back(k);
  const auto lineage = results::lineage_of(db, trial, keys);
  const auto& epochs = lineage.keys;
  const std::string root = lineage.segments.front().trial_id;
  auto seed = db.prepare("SELECT seed FROM trials WHERE id = ?");
  seed.bind(1, root);
  seed.step();
  std::ostringstream toml;
  toml << "# The schedule population-based training found in sweep '" << sweep << "' of " << a.db
       << ",\n# for member " << trial << ": each epoch of the training that led to its weights.\n"
       << "# Written by runner export --replay; train it with runner run.\n"
       << "name = " << util::json_string(sweep + "-replay-" + trial) << "\n"
       << config_lines(db, trial) << "train.epochs = " << epochs.size() << "\n"
       << "# The seed of " << root << ", whose own training its weights start from: epochs 1-"
       << lineage.segments.front().to << " replay it exactly.\n"
       << "train.seed = " << seed.integer(0) << "\n";
  for (const auto& k : keys)
    toml << (k == "train.lr" ? "train.lr_schedule" : "loss.beta_schedule") << " = \""
         << pieces_of(epochs, k) << "\"\n";
  util::write_file_atomically(file, toml.str());
  std::cout << "wrote " << file << ": member " << trial << ", " << epochs.size()
            << " epochs; lineage";
  for (const auto& s : lineage.segments)
    std::cout << " " << s.trial_id << " " << s.from << "-" << s.to;
  for (const auto& k : keys) std::cout << "; " << k << " " << pieces_of(epochs, k);
  for (const auto& k : search->space)
    if (k != "train.lr" && k != "loss.beta")
      std::cout << "; " << k
                << " changed too: not replayed (no schedule key for it), the file "
                   "keeps the member's starting value";
  std::cout << std::endl;
  return util::kExitOk;
}

}  // namespace runner
