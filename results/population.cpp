#include "results/population.h"

#include <stdexcept>

#include "util/json.h"

namespace results {
namespace {

util::Metrics keys_of(Database& db, const std::string& json) {
  auto q = db.prepare("SELECT key, value FROM json_each(?)");
  q.bind(1, json);
  util::Metrics out;
  while (q.step()) out.emplace_back(q.text(0), q.real(1));
  return out;
}

PbtDecision decision_row(Database& db, Statement& q, bool with_state) {
  PbtDecision d;
  d.trial_id = q.text(0);
  d.epoch = q.integer(1);
  if (sqlite3_column_type(q.handle(), 2) != SQLITE_NULL) d.value = q.real(2);
  d.source = q.text(3);
  d.source_epoch = q.integer(4);
  d.keys_before = keys_of(db, q.text(5));
  d.keys_after = keys_of(db, q.text(6));
  if (with_state) d.state = q.blob(7);
  return d;
}

constexpr const char* kColumns =
    "SELECT trial_id, epoch, value, coalesce(source, ''), coalesce(source_epoch, 0), keys_before, "
    "keys_after, state FROM pbt_decisions ";

}  // namespace

std::string keys_json(const util::Metrics& keys) {
  std::string out = "{";
  for (const auto& [k, v] : keys)
    out += (out.size() > 1 ? "," : "") + util::json_string(k) + ":" + util::format_double(v);
  return out + "}";
}

void add_pbt_decision(Database& db, const PbtDecision& d) {
  auto q = db.prepare(
      "INSERT INTO pbt_decisions (trial_id, epoch, value, source, source_epoch, keys_before, "
      "keys_after, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  q.bind(1, d.trial_id).bind(2, d.epoch);
  if (d.value)
    q.bind(3, *d.value);
  else
    q.bind_null(3);
  if (d.source.empty()) {
    q.bind_null(4).bind_null(5).bind_null(8);
  } else {
    q.bind(4, d.source).bind(5, d.source_epoch).bind_blob(8, d.state);
  }
  q.bind(6, keys_json(d.keys_before)).bind(7, keys_json(d.keys_after)).run();
}

std::optional<PbtDecision> pbt_decision(Database& db, const std::string& trial_id,
                                        std::int64_t epoch) {
  auto q = db.prepare(std::string(kColumns) + "WHERE trial_id = ? AND epoch = ?");
  q.bind(1, trial_id).bind(2, epoch);
  if (!q.step()) return std::nullopt;
  return decision_row(db, q, true);
}

std::optional<util::Metrics> pbt_keys_after(Database& db, const std::string& trial_id,
                                            std::int64_t epoch) {
  auto q = db.prepare(
      "SELECT keys_after FROM pbt_decisions WHERE trial_id = ? AND epoch <= ? "
      "ORDER BY epoch DESC LIMIT 1");
  q.bind(1, trial_id).bind(2, epoch);
  if (!q.step()) return std::nullopt;
  return keys_of(db, q.text(0));
}

std::vector<PbtDecision> pbt_decisions(Database& db, const std::string& sweep) {
  if (!has_table(db, "pbt_decisions")) return {};
  auto q = db.prepare(std::string(kColumns) +
                      "WHERE trial_id IN (SELECT id FROM trials WHERE sweep = ?) "
                      "ORDER BY trial_id, epoch");
  q.bind(1, sweep);
  std::vector<PbtDecision> out;
  while (q.step()) out.push_back(decision_row(db, q, false));
  return out;
}

std::vector<Standing> population_of(Database& db, const std::string& trial_id,
                                    const std::string& metric) {
  auto q = db.prepare(
      "SELECT p.trial_id, t.status, coalesce(t.array_id, ''), "
      "  (SELECT max(epoch) FROM metrics WHERE trial_id = p.trial_id AND name = ?2) AS e, "
      "  (SELECT value FROM metrics WHERE trial_id = p.trial_id AND name = ?2 "
      "   ORDER BY epoch DESC, attempt DESC LIMIT 1) "
      "FROM proposals p JOIN trials t ON t.id = p.trial_id "
      "WHERE (p.sweep, p.part) = (SELECT sweep, part FROM proposals WHERE trial_id = ?1) "
      "ORDER BY p.number");
  q.bind(1, trial_id).bind(2, metric);
  std::vector<Standing> out;
  while (q.step()) {
    Standing s{q.text(0), q.integer(3), std::nullopt, q.text(1), q.text(2)};
    if (sqlite3_column_type(q.handle(), 4) != SQLITE_NULL) s.value = q.real(4);
    out.push_back(std::move(s));
  }
  return out;
}

util::Metrics config_keys(Database& db, const std::string& trial_id,
                          const std::vector<std::string>& paths) {
  auto q = db.prepare("SELECT json_extract(config, ?) FROM trials WHERE id = ?");
  util::Metrics out;
  for (const auto& path : paths) {
    q.bind(1, "$." + path).bind(2, trial_id);
    if (!q.step() || q.column_type(0) == SQLITE_NULL)
      throw std::runtime_error("trial " + trial_id + " has no " + path + " in its config");
    out.emplace_back(path, q.real(0));
    q.reset();
  }
  return out;
}

std::string best_member(Database& db, const std::string& sweep, const std::string& metric,
                        bool maximize) {
  auto q =
      db.prepare(std::string("SELECT t.id FROM trials t JOIN metrics m ON m.trial_id = t.id "
                             "WHERE t.sweep = ? AND t.status = 'completed' AND m.name = ? "
                             "AND m.epoch = (SELECT max(epoch) FROM metrics WHERE trial_id = t.id "
                             "AND name = m.name) ORDER BY m.value ") +
                 (maximize ? "DESC" : "ASC") + ", t.id LIMIT 1");
  q.bind(1, sweep).bind(2, metric);
  return q.step() ? q.text(0) : "";
}

namespace {

// The member's own values of `keys` at epochs from..to.
void own_keys(Database& db, const std::string& trial_id, const std::vector<std::string>& keys,
              std::int64_t from, std::int64_t to, std::vector<util::Metrics>& out) {
  auto q = db.prepare("SELECT value FROM metrics WHERE trial_id = ? AND epoch = ? AND name = ?");
  for (std::int64_t e = from; e <= to; ++e) {
    util::Metrics row;
    for (const auto& k : keys) {
      q.bind(1, trial_id).bind(2, e).bind(3, k);
      if (!q.step())
        throw std::runtime_error("trial " + trial_id + " lacks its series " + k + " at epoch " +
                                 std::to_string(e));
      row.emplace_back(k, q.real(0));
      q.reset();
    }
    out.push_back(std::move(row));
  }
}

void lineage_until(Database& db, const std::string& trial_id, std::int64_t until,
                   const std::vector<std::string>& keys, Lineage& out, int depth) {
  if (depth > 10000) throw std::runtime_error("pbt lineage of " + trial_id + " loops");
  auto q = db.prepare(
      "SELECT epoch, source, source_epoch FROM pbt_decisions WHERE trial_id = ? AND epoch < ? "
      "AND source IS NOT NULL ORDER BY epoch DESC LIMIT 1");
  q.bind(1, trial_id).bind(2, until);
  std::int64_t since = 0;
  if (q.step()) {
    since = q.integer(0);
    lineage_until(db, q.text(1), q.integer(2) + 1, keys, out, depth + 1);
  }
  out.segments.push_back({trial_id, since + 1, until - 1});
  own_keys(db, trial_id, keys, since + 1, until - 1, out.keys);
}

}  // namespace

Lineage lineage_of(Database& db, const std::string& trial_id,
                   const std::vector<std::string>& keys) {
  auto q = db.prepare("SELECT max(epoch) FROM metrics WHERE trial_id = ?");
  q.bind(1, trial_id);
  const std::int64_t last = q.step() ? q.integer(0) : 0;
  Lineage out;
  lineage_until(db, trial_id, last + 1, keys, out, 0);
  return out;
}

}  // namespace results
