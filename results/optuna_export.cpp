#include "results/optuna_export.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>

#include "results/store.h"
#include "util/json.h"

namespace results {
namespace {

using util::format_double;
using util::json_string;

// Optuna's enums, as its journal stores them.
constexpr int kMinimize = 1, kMaximize = 2;           // StudyDirection
constexpr int kComplete = 1, kPruned = 2, kFail = 3;  // TrialState
constexpr int kCreateStudy = 0, kCreateTrial = 4;     // JournalOperation
constexpr const char* kWorker = "runner-export";      // the journal's worker_id
constexpr double kLogSpan = 100;  // numbers spanning this factor or more get a log scale

// One value of a config key, as SQLite's JSON functions see it.
struct JsonValue {
  std::string type;  // json_type: integer, real, text, true, false, array, null
  std::string text;  // json_extract as text (arrays as their JSON)
  bool operator<(const JsonValue& o) const {
    return type != o.type ? type < o.type : text < o.text;
  }
};

// A varied key's distribution over the values the sweep tried.
struct Param {
  std::string key;
  enum { kInt, kFloat, kCategorical } kind = kCategorical;
  double low = 0, high = 0;
  bool log = false;
  std::vector<JsonValue> choices;  // sorted, for kCategorical

  std::string distribution_json() const {
    if (kind != kCategorical) {
      const std::string bounds =
          "\"low\": " + format_double(low) + ", \"high\": " + format_double(high);
      return kind == kInt ? "{\"name\": \"IntDistribution\", \"attributes\": {\"log\": false, "
                            "\"step\": 1, " +
                                bounds + "}}"
                          : std::string(
                                "{\"name\": \"FloatDistribution\", \"attributes\": "
                                "{\"step\": null, \"log\": ") +
                                (log ? "true" : "false") + ", " + bounds + "}}";
    }
    std::string list;
    for (const auto& c : choices) list += (list.empty() ? "" : ", ") + choice_json(c);
    return "{\"name\": \"CategoricalDistribution\", \"attributes\": {\"choices\": [" + list + "]}}";
  }
  // Optuna's internal representation: the number, or the index of the choice.
  std::string internal(const JsonValue& v) const {
    if (kind != kCategorical) return v.text;
    const auto at = std::lower_bound(choices.begin(), choices.end(), v);
    return std::to_string(at - choices.begin());
  }
  static std::string choice_json(const JsonValue& c) {
    if (c.type == "true" || c.type == "false") return c.type;
    if (c.type == "integer" || c.type == "real") return c.text;
    if (c.type == "null") return "null";
    return json_string(c.text);  // text, and lists as their JSON text
  }
};

JsonValue value_at(Statement& q) {
  return {q.text(0), q.column_type(1) == SQLITE_NULL ? "null" : q.text(1)};
}

// The distribution of `key` over the trials of `sweep`.
Param param_of(Database& db, const std::string& sweep, const std::string& key) {
  auto q = db.prepare(
      "SELECT DISTINCT json_type(config, ?1), json_extract(config, ?1) FROM trials "
      "WHERE sweep = ?2 AND json_type(config, ?1) IS NOT NULL");
  q.bind(1, "$." + key).bind(2, sweep);
  Param p;
  p.key = key;
  bool numbers = true, whole = true;
  while (q.step()) {
    const JsonValue v = value_at(q);
    p.choices.push_back(v);
    numbers = numbers && (v.type == "integer" || v.type == "real");
    whole = whole && v.type == "integer";
  }
  std::sort(p.choices.begin(), p.choices.end());
  if (!numbers) return p;
  p.kind = whole ? Param::kInt : Param::kFloat;
  p.low = p.high = std::stod(p.choices.front().text);
  for (const auto& c : p.choices) {
    p.low = std::min(p.low, std::stod(c.text));
    p.high = std::max(p.high, std::stod(c.text));
  }
  p.log = !whole && p.low > 0 && p.high / p.low >= kLogSpan;
  p.choices.clear();
  return p;
}

std::vector<std::string> strings(Statement q) {
  std::vector<std::string> out;
  while (q.step()) out.push_back(q.text(0));
  return out;
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out.empty() ? "none" : out;
}

// "2026-11-24T08:15:02Z" as Optuna writes its own times (naive ISO 8601), or null.
std::string optuna_time(Statement& q, int column) {
  if (q.column_type(column) == SQLITE_NULL) return "null";
  std::string t = q.text(column);
  if (!t.empty() && t.back() == 'Z') t.pop_back();
  return json_string(t);
}

// {"name": value, ...} of the trial's final metrics, and each objective's value ("null" where it
// has none).
std::string final_metrics(Database& db, const std::string& id,
                          const std::vector<SearchObjective>& objectives,
                          std::vector<std::string>& values) {
  auto q = db.prepare("SELECT name, value FROM final_metrics WHERE trial_id = ? ORDER BY name");
  q.bind(1, id);
  std::string out;
  values.assign(objectives.size(), "null");
  while (q.step()) {
    const std::string v = q.column_type(1) == SQLITE_NULL ? "null" : format_double(q.real(1));
    out += (out.empty() ? "" : ", ") + json_string(q.text(0)) + ": " + v;
    for (std::size_t k = 0; k < objectives.size(); ++k)
      if (q.text(0) == objectives[k].metric) values[k] = v;
  }
  return "{" + out + "}";
}

// {"1": v1, "2": v2, ...}: the trial's series, NULLs (NaN) left out.
std::string series_of(Database& db, const std::string& id, const std::string& series) {
  if (series.empty()) return "{}";
  auto q = db.prepare(
      "SELECT epoch, value FROM metrics WHERE trial_id = ? AND name = ? AND value IS NOT NULL "
      "ORDER BY epoch");
  q.bind(1, id).bind(2, series);
  std::string out;
  while (q.step())
    out += (out.empty() ? "\"" : ", \"") + std::to_string(q.integer(0)) +
           "\": " + format_double(q.real(1));
  return "{" + out + "}";
}

// The series named after the objective: itself, or its per-epoch counterpart on the test set.
std::string series_name(Database& db, const std::string& sweep, const std::string& objective) {
  for (const std::string& name : {objective, "test_" + objective}) {
    auto q = db.prepare(
        "SELECT 1 FROM metrics m JOIN trials t ON t.id = m.trial_id WHERE t.sweep = ? AND "
        "m.name = ? LIMIT 1");
    q.bind(1, sweep).bind(2, name);
    if (q.step()) return name;
  }
  return "";
}

void check_input(Database& db, const OptunaExport& e) {
  if (const auto why = missing_sweep(db, e.sweep); !why.empty())
    throw ExportInputError("sweep", why);
  auto has = db.prepare(
      "SELECT count(*) FROM final_metrics f JOIN trials t ON t.id = f.trial_id "
      "WHERE t.sweep = ? AND f.name = ?");
  for (const auto& o : e.objectives) {
    has.bind(1, e.sweep).bind(2, o.metric);
    has.step();
    const bool found = has.integer(0) > 0;
    has.reset();
    if (found) continue;
    auto names = db.prepare(
        "SELECT DISTINCT f.name FROM final_metrics f JOIN trials t ON t.id = f.trial_id "
        "WHERE t.sweep = ? ORDER BY f.name");
    names.bind(1, e.sweep);
    throw ExportInputError("objective",
                           "no trial of sweep '" + e.sweep + "' has the final metric '" + o.metric +
                               "'; its final metrics: " + joined(strings(std::move(names))));
  }
}

void write_study(const OptunaExport& e, std::ostream& out) {
  out << "{\"op_code\": " << kCreateStudy << ", \"worker_id\": \"" << kWorker
      << "\", \"study_name\": " << json_string(e.sweep) << ", \"directions\": [";
  for (std::size_t k = 0; k < e.objectives.size(); ++k)
    out << (k ? ", " : "") << (e.objectives[k].maximize ? kMaximize : kMinimize);
  out << "]}\n";
}

// The trial's "value" and "values" as the journal writes them.
std::string values_json(bool complete, const std::vector<std::string>& values) {
  if (!complete) return "\"value\": null, \"values\": null";
  if (values.size() == 1) return "\"value\": " + values[0] + ", \"values\": null";
  std::string list;
  for (const auto& v : values) list += (list.empty() ? "" : ", ") + v;
  return "\"value\": null, \"values\": [" + list + "]";
}

}  // namespace

OptunaExportSummary write_optuna_journal(Database& db, const OptunaExport& e, std::ostream& out) {
  check_input(db, e);
  OptunaExportSummary summary;
  summary.params = varied_keys(db, e.sweep);
  if (e.objectives.size() == 1) summary.series = series_name(db, e.sweep, e.objectives[0].metric);
  std::vector<Param> params;
  for (const auto& key : summary.params) params.push_back(param_of(db, e.sweep, key));
  write_study(e, out);

  auto trials = db.prepare(
      "SELECT id, repeat, seed, status, started_at, ended_at, error, config FROM trials "
      "WHERE sweep = ? ORDER BY coalesce(started_at, created_at), id");
  trials.bind(1, e.sweep);
  auto value = db.prepare(
      "SELECT json_type(config, ?1), json_extract(config, ?1) FROM trials "
      "WHERE id = ?2 AND json_type(config, ?1) IS NOT NULL");
  while (trials.step()) {
    const std::string id = trials.text(0), status = trials.text(3);
    int state = status == "completed" ? kComplete
                : status == "pruned"  ? kPruned
                : status == "failed"  ? kFail
                                      : 0;
    if (state == 0) {
      ++summary.left_out;
      continue;
    }
    std::vector<std::string> objective;
    const std::string finals = final_metrics(db, id, e.objectives, objective);
    for (const auto& v : objective)
      if (state == kComplete && v == "null") state = kFail;  // as Optuna takes a NaN
    ++(state == kComplete ? summary.complete : state == kPruned ? summary.pruned : summary.failed);
    // The parameters the trial has, each with its distribution.
    std::string values, distributions;
    for (const auto& p : params) {
      value.bind(1, "$." + p.key).bind(2, id);
      if (value.step()) {
        const std::string key = json_string(p.key) + ": ";
        values += (values.empty() ? "" : ", ") + key + p.internal(value_at(value));
        distributions +=
            (distributions.empty() ? "" : ", ") + key + json_string(p.distribution_json());
      }
      value.reset();
    }
    std::string attrs = "\"runner_trial_id\": " + json_string(id) +
                        ", \"repeat\": " + std::to_string(trials.integer(1)) +
                        ", \"seed\": " + std::to_string(trials.integer(2)) +
                        ", \"config\": " + trials.text(7) + ", \"final_metrics\": " + finals;
    if (trials.column_type(6) != SQLITE_NULL)
      attrs += ", \"error\": " + json_string(trials.text(6));
    out << "{\"op_code\": " << kCreateTrial << ", \"worker_id\": \"" << kWorker
        << "\", \"study_id\": 0, \"state\": " << state << ", "
        << values_json(state == kComplete, objective)
        << ", \"datetime_start\": " << optuna_time(trials, 4)
        << ", \"datetime_complete\": " << optuna_time(trials, 5) << ", \"distributions\": {"
        << distributions << "}, \"params\": {" << values << "}, \"user_attrs\": {" << attrs
        << "}, \"system_attrs\": {}"
        << ", \"intermediate_values\": " << series_of(db, id, summary.series) << "}\n";
  }
  return summary;
}

}  // namespace results
