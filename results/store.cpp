#include "results/store.h"

#include <sys/stat.h>

#include <cmath>
#include <ctime>

namespace results {
namespace {

constexpr int kSchemaVersion = 2;  // 2: artifacts

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS trials (
  id          TEXT PRIMARY KEY,
  sweep       TEXT NOT NULL,
  config      TEXT NOT NULL CHECK (json_valid(config)),
  config_hash TEXT NOT NULL,
  repeat      INTEGER NOT NULL,
  seed        INTEGER NOT NULL,
  status      TEXT NOT NULL DEFAULT 'pending'
              CHECK (status IN ('pending', 'running', 'completed', 'failed', 'interrupted')),
  ranks       TEXT,
  host        TEXT,
  attempts    INTEGER NOT NULL DEFAULT 0,
  created_at  TEXT NOT NULL,
  started_at  TEXT,
  ended_at    TEXT,
  error       TEXT,
  UNIQUE (sweep, config_hash, repeat)
);
CREATE INDEX IF NOT EXISTS trials_by_sweep ON trials (sweep, status);
CREATE TABLE IF NOT EXISTS metrics (
  trial_id TEXT NOT NULL REFERENCES trials (id),
  epoch    INTEGER NOT NULL,
  name     TEXT NOT NULL,
  value    REAL,
  PRIMARY KEY (trial_id, name, epoch)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS final_metrics (
  trial_id TEXT NOT NULL REFERENCES trials (id),
  name     TEXT NOT NULL,
  value    REAL,
  PRIMARY KEY (trial_id, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS artifacts (
  trial_id TEXT NOT NULL REFERENCES trials (id),
  kind     TEXT NOT NULL,
  path     TEXT NOT NULL,  -- relative to the database's folder
  PRIMARY KEY (trial_id, kind)
) WITHOUT ROWID;
)sql";

void bind_value(Statement& st, int i, double v) {
  // SQLite stores NaN as NULL anyway; say so explicitly.
  if (std::isfinite(v))
    st.bind(i, v);
  else
    st.bind_null(i);
}

}  // namespace

std::string now_utc() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Store::Store(const std::string& path) : db_(path, Database::Mode::ReadWrite) {
  db_.exec("PRAGMA journal_mode=WAL");
  // FULL: a commit survives a node crash, not only a killed process. Commits are per epoch, so the
  // fsync costs nothing measurable.
  db_.exec("PRAGMA synchronous=FULL");
  db_.exec("PRAGMA foreign_keys=ON");
  auto v = db_.prepare("PRAGMA user_version");
  v.step();
  std::int64_t version = v.integer(0);
  if (version > kSchemaVersion)
    throw SqliteError(path + ": written by a newer runner (schema " + std::to_string(version) +
                      ")");
  Transaction tx(db_);
  db_.exec(kSchema);
  db_.exec("PRAGMA user_version=" + std::to_string(kSchemaVersion));
  tx.commit();
}

std::vector<std::string> Store::prepare(const std::string& sweep,
                                        const std::vector<TrialRow>& trials, bool retry_failed) {
  Transaction tx(db_);
  auto insert = db_.prepare(
      "INSERT INTO trials (id, sweep, config, config_hash, repeat, seed, created_at) "
      "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING");
  auto status = db_.prepare("SELECT status FROM trials WHERE id = ?");
  const std::string now = now_utc();
  std::vector<std::string> todo;
  for (const auto& t : trials) {
    insert.bind(1, t.id).bind(2, sweep).bind(3, t.config_json).bind(4, t.config_hash);
    insert.bind(5, t.repeat).bind(6, t.seed).bind(7, now);
    insert.run();
    status.bind(1, t.id);
    std::string s = status.step() ? status.text(0) : "";
    status.reset();
    if (s == "pending" || s == "running" || s == "interrupted" || (retry_failed && s == "failed"))
      todo.push_back(t.id);
  }
  tx.commit();
  return todo;
}

void Store::mark_running(const std::string& id, const std::vector<int>& ranks,
                         const std::string& host) {
  std::string ranks_json = "[";
  for (std::size_t i = 0; i < ranks.size(); ++i)
    ranks_json += (i ? "," : "") + std::to_string(ranks[i]);
  ranks_json += "]";
  Transaction tx(db_);
  db_.prepare("DELETE FROM metrics WHERE trial_id = ?").bind(1, id).run();
  db_.prepare("DELETE FROM final_metrics WHERE trial_id = ?").bind(1, id).run();
  db_.prepare("DELETE FROM artifacts WHERE trial_id = ?").bind(1, id).run();
  db_.prepare(
         "UPDATE trials SET status = 'running', ranks = ?, host = ?, started_at = ?, ended_at = "
         "NULL, "
         "error = NULL, attempts = attempts + 1 WHERE id = ?")
      .bind(1, ranks_json)
      .bind(2, host)
      .bind(3, now_utc())
      .bind(4, id)
      .run();
  tx.commit();
}

void Store::add_epoch(const std::string& id, std::int64_t epoch, const Metrics& values) {
  Transaction tx(db_);
  auto st = db_.prepare(
      "INSERT OR REPLACE INTO metrics (trial_id, epoch, name, value) VALUES (?, ?, ?, ?)");
  for (const auto& [name, value] : values) {
    st.bind(1, id).bind(2, epoch).bind(3, name);
    bind_value(st, 4, value);
    st.run();
  }
  tx.commit();
}

void Store::complete(const std::string& id, const Metrics& final_metrics,
                     const ArtifactPaths& artifacts) {
  Transaction tx(db_);
  auto art =
      db_.prepare("INSERT OR REPLACE INTO artifacts (trial_id, kind, path) VALUES (?, ?, ?)");
  for (const auto& [kind, path] : artifacts) art.bind(1, id).bind(2, kind).bind(3, path).run();
  auto st =
      db_.prepare("INSERT OR REPLACE INTO final_metrics (trial_id, name, value) VALUES (?, ?, ?)");
  for (const auto& [name, value] : final_metrics) {
    st.bind(1, id).bind(2, name);
    bind_value(st, 3, value);
    st.run();
  }
  db_.prepare("UPDATE trials SET status = 'completed', ended_at = ? WHERE id = ?")
      .bind(1, now_utc())
      .bind(2, id)
      .run();
  tx.commit();
}

void Store::fail(const std::string& id, const std::string& error) {
  Transaction tx(db_);
  db_.prepare("UPDATE trials SET status = 'failed', ended_at = ?, error = ? WHERE id = ?")
      .bind(1, now_utc())
      .bind(2, error)
      .bind(3, id)
      .run();
  tx.commit();
}

void query_csv(const std::string& db_path, const std::string& sql, std::ostream& out) {
  struct stat st;
  if (::stat(db_path.c_str(), &st) != 0) throw SqliteError("no such database");
  Database db(db_path, Database::Mode::ReadOnly);
  auto q = db.prepare(sql);
  auto field = [](std::string s) {
    if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
    std::string out = "\"";
    for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
  };
  for (int i = 0; i < q.columns(); ++i) out << (i ? "," : "") << field(q.column_name(i));
  out << "\n";
  while (q.step()) {
    for (int i = 0; i < q.columns(); ++i) {
      if (i) out << ",";
      if (q.column_type(i) == SQLITE_FLOAT) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.10g", q.real(i));
        out << buf;
      } else if (q.column_type(i) != SQLITE_NULL) {
        out << field(q.text(i));
      }
    }
    out << "\n";
  }
}

}  // namespace results
