#include "results/proposals.h"

#include "util/json.h"

namespace results {

void record_search(Database& db, const SearchRow& row) {
  std::string objectives = "[", constraints = "[", space = "[";
  for (const auto& k : row.space)
    space += std::string(space.size() > 1 ? "," : "") + util::json_string(k);
  for (const auto& o : row.objectives)
    objectives += std::string(objectives.size() > 1 ? "," : "") +
                  "{\"metric\":" + util::json_string(o.metric) + ",\"mode\":\"" +
                  (o.maximize ? "max" : "min") + "\"}";
  for (const auto& c : row.constraints)
    constraints += std::string(constraints.size() > 1 ? "," : "") + util::json_string(c);
  db.prepare(
        "INSERT OR REPLACE INTO searches (sweep, sampler, trials, parts, objectives, constraints, "
        "space) VALUES (?, ?, ?, ?, ?, ?, ?)")
      .bind(1, row.sweep)
      .bind(2, row.sampler)
      .bind(3, row.trials)
      .bind(4, row.parts)
      .bind(5, objectives + "]")
      .bind(6, constraints + "]")
      .bind(7, space + "]")
      .run();
}

std::optional<SearchRow> search_of(Database& db, const std::string& sweep) {
  auto q = db.prepare("SELECT sampler, trials, parts FROM searches WHERE sweep = ?");
  q.bind(1, sweep);
  if (!q.step()) return std::nullopt;
  SearchRow row{sweep, q.text(0), q.integer(1), q.integer(2), {}, {}, {}};
  auto o = db.prepare(
      "SELECT json_extract(j.value, '$.metric'), json_extract(j.value, '$.mode') "
      "FROM searches, json_each(searches.objectives) j WHERE sweep = ? ORDER BY j.key");
  o.bind(1, sweep);
  while (o.step()) row.objectives.push_back({o.text(0), o.text(1) == "max"});
  auto c = db.prepare(
      "SELECT j.value FROM searches, json_each(searches.constraints) j WHERE sweep = ? "
      "ORDER BY j.key");
  c.bind(1, sweep);
  while (c.step()) row.constraints.push_back(c.text(0));
  auto k = db.prepare(
      "SELECT j.value FROM searches, json_each(searches.space) j WHERE sweep = ? ORDER BY j.key");
  k.bind(1, sweep);
  while (k.step()) row.space.push_back(k.text(0));
  return row;
}

std::vector<std::string> pareto_front(Database& db, const std::string& sweep) {
  auto q = db.prepare("SELECT trial_id FROM pareto_front WHERE sweep = ? ORDER BY part, trial_id");
  q.bind(1, sweep);
  std::vector<std::string> ids;
  while (q.step()) ids.push_back(q.text(0));
  return ids;
}

std::int64_t proposal_count(Database& db, const std::string& sweep, const std::string& part) {
  auto q = db.prepare("SELECT count(*) FROM proposals WHERE sweep = ? AND part = ?");
  q.bind(1, sweep).bind(2, part);
  q.step();
  return q.integer(0);
}

bool add_proposal(Database& db, const std::string& sweep, const Proposal& p, const TrialRow& row) {
  Transaction tx(db);
  const std::string now = now_utc();
  auto insert = db.prepare(
      "INSERT INTO trials (id, sweep, config, config_hash, repeat, seed, created_at, "
      "series_epochs) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING");
  insert.bind(1, row.id).bind(2, sweep).bind(3, row.config_json).bind(4, row.config_hash);
  insert.bind(5, row.repeat).bind(6, row.seed).bind(7, now).bind(8, row.series_epochs);
  insert.run();
  if (sqlite3_changes(db.handle()) == 0)
    return false;  // the transaction rolls back: nothing written
  db.prepare(
        "INSERT INTO proposals (sweep, part, number, trial_id, point, sampler, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)")
      .bind(1, sweep)
      .bind(2, p.part)
      .bind(3, p.number)
      .bind(4, row.id)
      .bind(5, p.point)
      .bind(6, p.sampler)
      .bind(7, now)
      .run();
  tx.commit();
  return true;
}

std::vector<Proposal> proposals_of(Database& db, const std::string& sweep) {
  auto q = db.prepare(
      "SELECT trial_id, part, number, point, sampler FROM proposals WHERE sweep = ? "
      "ORDER BY part, number");
  q.bind(1, sweep);
  std::vector<Proposal> out;
  while (q.step()) out.push_back({q.text(0), q.text(1), q.integer(2), q.text(3), q.text(4)});
  return out;
}

std::vector<SearchRecord> search_records(Database& db, const std::string& sweep,
                                         const std::string& part,
                                         const std::vector<std::string>& metrics) {
  // One query however many trials: a join per metric.
  std::string sql =
      "SELECT p.trial_id, p.number, p.point, p.sampler, t.status, "
      "(SELECT max(epoch) FROM metrics m WHERE m.trial_id = p.trial_id)";
  for (std::size_t k = 0; k < metrics.size(); ++k) sql += ", f" + std::to_string(k) + ".value";
  sql += " FROM proposals p JOIN trials t ON t.id = p.trial_id";
  for (std::size_t k = 0; k < metrics.size(); ++k) {
    const std::string f = "f" + std::to_string(k);
    sql += " LEFT JOIN final_metrics " + f + " ON " + f + ".trial_id = p.trial_id AND " + f +
           ".name = ?" + std::to_string(k + 3);
  }
  sql += " WHERE p.sweep = ?1 AND p.part = ?2 ORDER BY p.number";
  auto q = db.prepare(sql);
  q.bind(1, sweep).bind(2, part);
  for (std::size_t k = 0; k < metrics.size(); ++k) q.bind(static_cast<int>(k + 3), metrics[k]);
  std::vector<SearchRecord> out;
  while (q.step()) {
    SearchRecord r;
    r.proposal = {q.text(0), part, q.integer(1), q.text(2), q.text(3)};
    r.status = q.text(4);
    r.epochs = q.column_type(5) == SQLITE_NULL ? 0 : q.integer(5);
    for (std::size_t k = 0; k < metrics.size(); ++k) {
      const int col = static_cast<int>(6 + k);
      r.values.push_back(q.column_type(col) == SQLITE_NULL ? std::nullopt
                                                           : std::optional<double>(q.real(col)));
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<WarmRecord> warm_records(Database& db, const std::string& sweep,
                                     const std::vector<std::string>& keys,
                                     const std::vector<std::string>& metrics) {
  std::string sql = "SELECT t.status, (SELECT max(epoch) FROM metrics m WHERE m.trial_id = t.id)";
  for (std::size_t k = 0; k < keys.size(); ++k)
    sql += ", json_quote(json_extract(t.config, ?" + std::to_string(k + 2) + "))";
  for (std::size_t k = 0; k < metrics.size(); ++k)
    sql += ", (SELECT value FROM final_metrics f WHERE f.trial_id = t.id AND f.name = ?" +
           std::to_string(keys.size() + k + 2) + ")";
  sql +=
      " FROM trials t WHERE t.sweep = ?1 AND t.status IN ('completed', 'pruned') ORDER BY "
      "coalesce(t.ended_at, t.created_at), t.id";
  auto q = db.prepare(sql);
  q.bind(1, sweep);
  for (std::size_t k = 0; k < keys.size(); ++k) q.bind(static_cast<int>(k + 2), "$." + keys[k]);
  for (std::size_t k = 0; k < metrics.size(); ++k)
    q.bind(static_cast<int>(keys.size() + k + 2), metrics[k]);
  std::vector<WarmRecord> out;
  while (q.step()) {
    WarmRecord r;
    r.status = q.text(0);
    r.epochs = q.column_type(1) == SQLITE_NULL ? 0 : q.integer(1);
    for (std::size_t k = 0; k < keys.size(); ++k) {
      const int col = static_cast<int>(2 + k);
      r.keys.push_back(q.column_type(col) == SQLITE_NULL ? "" : q.text(col));
    }
    for (std::size_t k = 0; k < metrics.size(); ++k) {
      const int col = static_cast<int>(2 + keys.size() + k);
      r.values.push_back(q.column_type(col) == SQLITE_NULL ? std::nullopt
                                                           : std::optional<double>(q.real(col)));
    }
    out.push_back(std::move(r));
  }
  return out;
}

void set_pareto_front(Database& db, const std::string& sweep, const std::string& part,
                      const std::vector<std::string>& trial_ids) {
  Transaction tx(db);
  db.prepare("DELETE FROM pareto_front WHERE sweep = ? AND part = ?")
      .bind(1, sweep)
      .bind(2, part)
      .run();
  auto insert = db.prepare("INSERT INTO pareto_front (sweep, part, trial_id) VALUES (?, ?, ?)");
  for (const auto& id : trial_ids) insert.bind(1, sweep).bind(2, part).bind(3, id).run();
  tx.commit();
}

}  // namespace results
