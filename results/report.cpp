#include "results/report.h"

#include <stdexcept>

#include "results/store.h"
#include "util/json.h"

namespace results {
namespace {

// Queries that build a sweep's part of the page's data as JSON with SQLite's functions; each
// takes the sweep's name. A sweep's trials in the order they started, each with its config,
// final metrics and pictures:
constexpr const char* kTrialsJson =
    "SELECT json_group_array(json(t.j)) FROM (SELECT json_object("
    "'id', id, 'status', status, 'repeat', repeat, 'seed', seed, 'attempts', attempts, "
    "'created', created_at, 'started', started_at, 'ended', ended_at, 'error', error, "
    "'host', host, 'ranks', json(ranks), 'hosts', json(hosts), 'resumed_from', resumed_from, "
    "'run', run_id, 'config', json(config), "
    "'final', (SELECT json_group_object(name, value) FROM final_metrics WHERE trial_id = t.id), "
    "'pictures', (SELECT json_group_object(kind, 'pictures/' || t.id || '/' || kind || '.png') "
    "             FROM artifacts WHERE trial_id = t.id)) AS j "
    "FROM trials t WHERE sweep = ? ORDER BY coalesce(started_at, created_at), id) t";
// [[trial id, series, epoch, value], ...] of every epoch report:
constexpr const char* kSeriesJson =
    "SELECT json_group_array(json_array(m.trial_id, m.name, m.epoch, m.value)) FROM metrics m "
    "JOIN trials t ON t.id = m.trial_id WHERE t.sweep = ?";
// [[trial id, epoch, rule, value, decision], ...] of early stopping:
constexpr const char* kDecisionsJson =
    "SELECT json_group_array(json_array(d.trial_id, d.epoch, d.rule, d.value, d.decision)) "
    "FROM decisions d JOIN trials t ON t.id = d.trial_id WHERE t.sweep = ?";

// A search's settings, proposals ([number, trial id, sampler, part, epochs reached], by number)
// and Pareto front (trial ids):
constexpr const char* kSearchJson =
    "SELECT json_object('sampler', s.sampler, 'trials', s.trials, 'parts', s.parts, "
    "'objectives', json(s.objectives), 'constraints', json(s.constraints), 'space', json(s.space), "
    "'proposals', (SELECT json_group_array(json(x)) FROM (SELECT json_array(p.number, p.trial_id, "
    "  p.sampler, p.part, (SELECT max(epoch) FROM metrics m WHERE m.trial_id = p.trial_id)) AS x "
    "  FROM proposals p WHERE p.sweep = s.sweep ORDER BY p.part, p.number)), "
    "'front', (SELECT json_group_array(trial_id) FROM pareto_front f WHERE f.sweep = s.sweep)) "
    "FROM searches s WHERE s.sweep = ?";

// Population-based training's exploits: [[member, epoch, source, source epoch], ...].
constexpr const char* kExploitsJson =
    "SELECT json_group_array(json_array(d.trial_id, d.epoch, d.source, d.source_epoch)) "
    "FROM pbt_decisions d JOIN trials t ON t.id = d.trial_id "
    "WHERE t.sweep = ? AND d.source IS NOT NULL";

// A sweep's search as JSON, or null (none, or a database older than searches).
std::string search_json(Database& db, const std::string& sweep) {
  if (!has_table(db, "searches")) return "null";
  auto q = db.prepare(kSearchJson);
  q.bind(1, sweep);
  return q.step() && q.column_type(0) != SQLITE_NULL ? q.text(0) : "null";
}

// The JSON one of those queries gives for `sweep`; "[]" for none.
std::string json_for(Database& db, const char* sql, const std::string& sweep) {
  auto q = db.prepare(sql);
  q.bind(1, sweep);
  return q.step() && q.column_type(0) != SQLITE_NULL ? q.text(0) : "[]";
}

std::string string_list(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + util::json_string(s);
  return "[" + out + "]";
}

// JSON text made safe inside <script>: the three characters only ever occur inside strings,
// where their \u escapes mean the same.
std::string html_safe(const std::string& json) {
  std::string out;
  out.reserve(json.size());
  for (char c : json) {
    if (c == '<')
      out += "\\u003c";
    else if (c == '>')
      out += "\\u003e";
    else if (c == '&')
      out += "\\u0026";
    else
      out += c;
  }
  return out;
}

}  // namespace

ReportData report_data(Database& db, const std::string& sweep) {
  ReportData r;
  if (sweep.empty()) {
    r.sweeps = sweep_names(db);
  } else if (const auto why = missing_sweep(db, sweep); !why.empty()) {
    throw std::invalid_argument(why);
  } else {
    r.sweeps = {sweep};
  }
  // A database of an older runner, opened read-only, has its pictures in files only.
  const bool has_png = has_column(db, "artifacts", "png");
  std::string sweeps;
  for (const auto& name : r.sweeps) {
    sweeps += std::string(sweeps.empty() ? "" : ",") + "{\"name\":" + util::json_string(name) +
              ",\"varied\":" + string_list(varied_keys(db, name)) +
              ",\"trials\":" + json_for(db, kTrialsJson, name) +
              ",\"series\":" + json_for(db, kSeriesJson, name) +
              ",\"decisions\":" + json_for(db, kDecisionsJson, name) +
              ",\"search\":" + search_json(db, name) + ",\"exploits\":" +
              (has_table(db, "pbt_decisions") ? json_for(db, kExploitsJson, name) : "[]") + "}";
    auto pics = db.prepare(std::string(
        "SELECT 'pictures/' || a.trial_id || '/' || a.kind || '.png', a.path, ") +
        (has_png ? "a.png" : "NULL") +
        " FROM artifacts a JOIN trials t ON t.id = a.trial_id WHERE t.sweep = ?");
    pics.bind(1, name);
    while (pics.step()) r.pictures.push_back({pics.text(0), pics.blob(2), pics.text(1)});
  }
  r.json = html_safe("{\"generated\":" + util::json_string(now_utc()) + ",\"database\":" +
                     util::json_string(db.path()) + ",\"sweeps\":[" + sweeps + "]}");
  return r;
}

}  // namespace results
