#include "results/store.h"

#include <sys/vfs.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <map>
#include <optional>

#include "util/json.h"
#include "util/poll.h"

namespace results {
namespace {

// 2: artifacts; 3: resumed_from, metrics.attempt; 4: hosts, statuses 'stale' and 'pruned',
// decisions; 5: runs, trials.run_id and lease_expires; 6: array_id. Columns that older runners
// may ignore (series_epochs, artifacts.png) and new tables (searches, proposals, pareto_front) are added without a
// new version: those runners go on using the file.
constexpr int kSchemaVersion = 6;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS trials (
  id          TEXT PRIMARY KEY,
  sweep       TEXT NOT NULL,
  config      TEXT NOT NULL CHECK (json_valid(config)),
  config_hash TEXT NOT NULL,
  repeat      INTEGER NOT NULL,
  seed        INTEGER NOT NULL,
  status      TEXT NOT NULL DEFAULT 'pending'
              CHECK (status IN ('pending', 'running', 'completed', 'failed', 'interrupted',
                                'stale', 'pruned')),
  ranks       TEXT,  -- JSON array of the world ranks that train it
  host        TEXT,  -- the host of its group root
  hosts       TEXT,  -- JSON array of the host of each rank in `ranks`
  attempts    INTEGER NOT NULL DEFAULT 0,
  created_at  TEXT NOT NULL,
  started_at  TEXT,
  ended_at    TEXT,
  error       TEXT,
  resumed_from INTEGER,  -- the epoch the latest attempt went on from (0: from the start)
  run_id      INTEGER,   -- the run (runs.id) that claimed it last
  lease_expires REAL,    -- while running: unix seconds until which that run holds it
  array_id    TEXT,      -- the fused array of its latest attempt (its first member's id), or NULL
  series_epochs INTEGER, -- epochs its series holds when it ends (train.epochs times its stages)
  UNIQUE (sweep, config_hash, repeat)
);
CREATE INDEX IF NOT EXISTS trials_by_sweep ON trials (sweep, status);
CREATE INDEX IF NOT EXISTS trials_by_run ON trials (run_id, status);
CREATE TABLE IF NOT EXISTS runs (  -- every `runner run` on this database (results/leases.h)
  id          INTEGER PRIMARY KEY,
  sweep       TEXT NOT NULL,
  host        TEXT NOT NULL,  -- rank 0's
  pid         INTEGER NOT NULL,
  start_ticks INTEGER,        -- the process's start time (/proc/PID/stat), against reused pids
  slurm_job   TEXT,           -- SLURM job id ("1234", or "1234_5" in a job array)
  ranks       INTEGER NOT NULL,
  lease_s     REAL NOT NULL,
  started_at  TEXT NOT NULL,
  heartbeat   REAL NOT NULL,  -- unix seconds of its last renewal
  ended_at    TEXT
);
CREATE TABLE IF NOT EXISTS metrics (
  trial_id TEXT NOT NULL REFERENCES trials (id),
  epoch    INTEGER NOT NULL,
  name     TEXT NOT NULL,
  value    REAL,
  attempt  INTEGER,  -- the attempt of the trial that recorded it (see trials.attempts)
  PRIMARY KEY (trial_id, name, epoch)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS final_metrics (
  trial_id TEXT NOT NULL REFERENCES trials (id),
  name     TEXT NOT NULL,
  value    REAL,
  PRIMARY KEY (trial_id, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS decisions (  -- early stopping: one per trial and epoch judged
  trial_id TEXT NOT NULL REFERENCES trials (id),
  epoch    INTEGER NOT NULL,
  rule     TEXT NOT NULL,  -- asha, median
  value    REAL,           -- the metric judged (NULL: the series lacked it; the trial went on)
  decision TEXT NOT NULL CHECK (decision IN ('continue', 'stop')),
  PRIMARY KEY (trial_id, epoch)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS searches (  -- [sweep.search] as its latest run read it (proposals.h)
  sweep       TEXT PRIMARY KEY,
  sampler     TEXT NOT NULL,
  trials      INTEGER NOT NULL,  -- the budget of each part
  parts       INTEGER NOT NULL,
  objectives  TEXT NOT NULL CHECK (json_valid(objectives)),   -- [{"metric": .., "mode": ..}]
  constraints TEXT NOT NULL CHECK (json_valid(constraints)),  -- ["active_bits <= 50", ..]
  space       TEXT NOT NULL CHECK (json_valid(space))         -- the keys searched, in order
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS proposals (  -- [sweep.search]: what its sampler proposed (proposals.h)
  sweep      TEXT NOT NULL,
  part       TEXT NOT NULL,     -- the fixed part searched: the config hash of its fixed keys
  number     INTEGER NOT NULL,  -- 0, 1, ...: its place in the part's budget
  trial_id   TEXT NOT NULL UNIQUE REFERENCES trials (id),
  point      TEXT NOT NULL,     -- the value of each searched key, in the space's order
  sampler    TEXT NOT NULL,     -- random or tpe
  created_at TEXT NOT NULL,
  PRIMARY KEY (sweep, part, number)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pbt_decisions (  -- population-based training's decisions (population.h)
  trial_id     TEXT NOT NULL REFERENCES trials (id),
  epoch        INTEGER NOT NULL,  -- the member's epoch (over all stages) it was judged after
  value        REAL,              -- its series value there, as judged
  source       TEXT,              -- the member whose weights and Adam state it took; NULL: kept
  source_epoch INTEGER,           -- the epoch of the state it took
  keys_before  TEXT NOT NULL CHECK (json_valid(keys_before)),  -- {"train.lr": 0.001, ...}
  keys_after   TEXT NOT NULL CHECK (json_valid(keys_after)),   -- from the next epoch on
  state        BLOB,              -- the source's checkpoint it took: a resumed member takes it again
  PRIMARY KEY (trial_id, epoch)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pareto_front (  -- [sweep.search]: the non-dominated finished trials
  sweep    TEXT NOT NULL,                  -- of each part, by its objectives and constraints
  part     TEXT NOT NULL,
  trial_id TEXT NOT NULL REFERENCES trials (id),
  PRIMARY KEY (sweep, part, trial_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS artifacts (
  trial_id TEXT NOT NULL REFERENCES trials (id),
  kind     TEXT NOT NULL,
  path     TEXT NOT NULL,  -- older runners: the PNG file, relative to the database's folder
  png      BLOB,           -- the picture itself (then path is '')
  PRIMARY KEY (trial_id, kind)
) WITHOUT ROWID;
)sql";

// Columns older runners may ignore, added without a new schema version.
void add_unversioned_columns(Database& db) {
  // Filled in by the next `prepare` of each sweep (the runner knows its models, SQL does not).
  if (!has_column(db, "trials", "series_epochs"))
    db.exec("ALTER TABLE trials ADD COLUMN series_epochs INTEGER");
  if (!has_column(db, "artifacts", "png")) db.exec("ALTER TABLE artifacts ADD COLUMN png BLOB");
}

// The first column of every row, skipping NULLs.
std::vector<double> column_of(Statement& q) {
  std::vector<double> out;
  while (q.step())
    if (q.column_type(0) != SQLITE_NULL) out.push_back(q.real(0));
  return out;
}

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

std::string network_filesystem_name(long f_type) {
  // Magic numbers of statfs(2)'s f_type (linux/magic.h, and the vendors' for Lustre, GPFS, BeeGFS).
  switch (static_cast<unsigned long>(f_type) & 0xffffffffUL) {
    case 0x6969UL:
      return "NFS";
    case 0x0BD00BD0UL:
      return "Lustre";
    case 0x47504653UL:
      return "GPFS";
    case 0x19830326UL:
      return "BeeGFS";
    case 0x00C36400UL:
      return "CephFS";
    case 0xFF534D42UL:
      return "CIFS";
    case 0xFE534D42UL:
      return "SMB2";
    case 0x517BUL:
      return "SMB";
    case 0x5346414FUL:
      return "AFS";
    case 0x01021997UL:
      return "9P";
    default:
      return "";
  }
}

std::string network_filesystem_of(const std::string& path) {
  const auto slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash + 1);
  struct statfs fs {};
  if (::statfs(dir.c_str(), &fs) != 0) return "";
  return network_filesystem_name(static_cast<long>(fs.f_type));
}

// Changing the journal mode needs the database to itself, and SQLite answers "locked" at once,
// without its busy timeout, while another process opens the same new file: two runs started
// together on one database. So it tries again, for as long as that timeout.
void Store::set_journal_mode(const std::string& pragma) {
  std::string error;
  const bool done = util::poll_until(
      [&] {
        const int rc = sqlite3_exec(db_.handle(), pragma.c_str(), nullptr, nullptr, nullptr);
        if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) return false;
        error = rc == SQLITE_OK ? "" : sqlite3_errmsg(db_.handle());
        return true;
      },
      kBusyTimeoutMs / 1000.0, util::kMessageBackoff);
  if (!done) error = "database is locked";
  if (!error.empty()) throw SqliteError(db_.path() + ": " + pragma + ": " + error);
}

Store::Store(const std::string& path, std::ostream* warnings)
    : db_(path, Database::Mode::ReadWrite) {
  // WAL keeps its index in shared memory, which a network file system does not share between
  // nodes: readers elsewhere see a corrupt database. There, fall back to a rollback journal,
  // which needs only the file locks these file systems do provide.
  const std::string remote = network_filesystem_of(path);
  if (!remote.empty() && warnings)
    *warnings << "warning: " << path << " is on " << remote
              << ", a network file system: SQLite's WAL mode is unsafe there, so this run uses a "
                 "rollback journal (slower commits). Put --db on a local disk to avoid this; see "
                 "README, \"Where the database lives\"."
              << std::endl;
  set_journal_mode(remote.empty() ? "PRAGMA journal_mode=WAL" : "PRAGMA journal_mode=DELETE");
  // FULL: a commit survives a node crash, not only a killed process. Rank 0 commits what arrived
  // together (see runner::Sink::flush), so one fsync serves many reports.
  db_.exec("PRAGMA synchronous=FULL");
  // Foreign keys go on after any upgrade: rebuilding `trials` drops the table others refer to.
  // (Renaming it does not touch those references: legacy_alter_table keeps them by name.)
  db_.exec("PRAGMA legacy_alter_table=ON");
  std::int64_t version = 0;
  {
    auto v = db_.prepare("PRAGMA user_version");  // finalised before tables change
    v.step();
    version = v.integer(0);
  }
  if (version > kSchemaVersion)
    throw SqliteError(path + ": written by a newer runner (schema " + std::to_string(version) +
                      ")");
  Transaction tx(db_);
  if (version >= 1 && version < 3) {
    db_.exec("ALTER TABLE trials ADD COLUMN resumed_from INTEGER");
    db_.exec("ALTER TABLE metrics ADD COLUMN attempt INTEGER");
  }
  // A CHECK constraint cannot be altered: rebuild the table under the new schema.
  if (version >= 1 && version < 4) {
    db_.exec("ALTER TABLE trials RENAME TO trials_v3");
    db_.exec("DROP INDEX IF EXISTS trials_by_sweep");
    db_.exec("DROP INDEX IF EXISTS trials_by_run");
  }
  if (version == 4) {
    db_.exec("ALTER TABLE trials ADD COLUMN run_id INTEGER");
    db_.exec("ALTER TABLE trials ADD COLUMN lease_expires REAL");
  }
  if (version == 4 || version == 5) db_.exec("ALTER TABLE trials ADD COLUMN array_id TEXT");
  db_.exec(kSchema);
  if (version >= 1 && version < 4) {
    db_.exec(
        "INSERT INTO trials (id, sweep, config, config_hash, repeat, seed, status, ranks, host, "
        "attempts, created_at, started_at, ended_at, error, resumed_from) SELECT id, sweep, "
        "config, config_hash, repeat, seed, status, ranks, host, attempts, created_at, "
        "started_at, ended_at, error, resumed_from FROM trials_v3");
    db_.exec("DROP TABLE trials_v3");
  }
  add_unversioned_columns(db_);
  db_.exec("PRAGMA user_version=" + std::to_string(kSchemaVersion));
  tx.commit();
  db_.exec("PRAGMA foreign_keys=ON");
}

std::vector<std::string> Store::prepare(const std::string& sweep,
                                        const std::vector<TrialRow>& trials, bool retry_failed) {
  Transaction tx(db_);
  auto insert = db_.prepare(
      "INSERT INTO trials (id, sweep, config, config_hash, repeat, seed, created_at, series_epochs) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
      "ON CONFLICT DO UPDATE SET series_epochs = excluded.series_epochs WHERE series_epochs IS NULL");
  auto status = db_.prepare("SELECT status FROM trials WHERE id = ?");
  const std::string now = now_utc();
  std::vector<std::string> todo;
  for (const auto& t : trials) {
    insert.bind(1, t.id).bind(2, sweep).bind(3, t.config_json).bind(4, t.config_hash);
    insert.bind(5, t.repeat).bind(6, t.seed).bind(7, now).bind(8, t.series_epochs);
    insert.run();
    status.bind(1, t.id);
    std::string s = status.step() ? status.text(0) : "";
    status.reset();
    if (s == "pending" || s == "running" || s == "interrupted" || s == "stale" ||
        (retry_failed && s == "failed"))
      todo.push_back(t.id);
  }
  tx.commit();
  retry_failed_ = retry_failed;
  return todo;
}

void Store::mark_running(const std::string& id, const std::vector<int>& ranks,
                         const std::vector<std::string>& hosts, std::int64_t resume_epoch) {
  std::string ranks_json = "[", hosts_json = "[";
  for (std::size_t i = 0; i < ranks.size(); ++i)
    ranks_json += (i ? "," : "") + std::to_string(ranks[i]);
  for (std::size_t i = 0; i < hosts.size(); ++i)
    hosts_json += (i ? "," : "") + util::json_string(hosts[i]);
  ranks_json += "]";
  hosts_json += "]";
  Transaction tx(db_);
  // The series keeps what the checkpoint covers; later epochs will be trained again.
  db_.prepare("DELETE FROM metrics WHERE trial_id = ? AND epoch > ?")
      .bind(1, id)
      .bind(2, resume_epoch)
      .run();
  db_.prepare("DELETE FROM final_metrics WHERE trial_id = ?").bind(1, id).run();
  db_.prepare("DELETE FROM artifacts WHERE trial_id = ?").bind(1, id).run();
  db_.prepare(
         "UPDATE trials SET status = 'running', ranks = ?, host = ?, hosts = ?, started_at = ?, "
         "ended_at = NULL, error = NULL, attempts = attempts + 1, resumed_from = ?, array_id = "
         "NULL WHERE id = ?")
      .bind(1, ranks_json)
      .bind(2, hosts.empty() ? std::string() : hosts.front())
      .bind(3, hosts_json)
      .bind(4, now_utc())
      .bind(5, resume_epoch)
      .bind(6, id)
      .run();
  tx.commit();
}

void Store::add_epoch(const std::string& id, std::int64_t epoch, const Metrics& values) {
  Transaction tx(db_);
  auto st = db_.prepare(
      "INSERT OR REPLACE INTO metrics (trial_id, epoch, name, value, attempt) "
      "VALUES (?1, ?2, ?3, ?4, (SELECT attempts FROM trials WHERE id = ?1))");
  for (const auto& [name, value] : values) {
    st.bind(1, id).bind(2, epoch).bind(3, name);
    bind_value(st, 4, value);
    st.run();
  }
  tx.commit();
}

bool Store::has_epochs_through(const std::string& id, std::int64_t epoch) {
  auto q = db_.prepare(
      "SELECT count(DISTINCT epoch) FROM metrics WHERE trial_id = ? AND epoch BETWEEN 1 AND ?");
  q.bind(1, id).bind(2, epoch);
  q.step();
  return q.integer(0) == epoch;
}

void Store::interrupt(const std::string& id) {
  end_attempt(id, "interrupted", std::nullopt);
}

void Store::mark_stale(const std::string& id, const std::string& why) {
  end_attempt(id, "stale", why);
}

void Store::end_attempt(const std::string& id, const std::string& status,
                        const std::optional<std::string>& error) {
  auto st = db_.prepare("UPDATE trials SET status = ?, ended_at = ?, error = ? WHERE id = ?");
  st.bind(1, status).bind(2, now_utc());
  if (error)
    st.bind(3, *error);
  else
    st.bind_null(3);
  st.bind(4, id).run();
}

void Store::complete(const std::string& id, const Metrics& final_metrics,
                     const Artifacts& artifacts) {
  finish(id, "completed", final_metrics, artifacts);
}

void Store::prune(const std::string& id, const Metrics& final_metrics,
                  const Artifacts& artifacts) {
  finish(id, "pruned", final_metrics, artifacts);
}

void Store::finish(const std::string& id, const std::string& status, const Metrics& final_metrics,
                   const Artifacts& artifacts) {
  Transaction tx(db_);
  auto art = db_.prepare(
      "INSERT OR REPLACE INTO artifacts (trial_id, kind, path, png) VALUES (?, ?, '', ?)");
  for (const auto& [kind, png] : artifacts)
    art.bind(1, id).bind(2, kind).bind_blob(3, png).run();
  auto st =
      db_.prepare("INSERT OR REPLACE INTO final_metrics (trial_id, name, value) VALUES (?, ?, ?)");
  for (const auto& [name, value] : final_metrics) {
    st.bind(1, id).bind(2, name);
    bind_value(st, 3, value);
    st.run();
  }
  db_.prepare("UPDATE trials SET status = ?, ended_at = ? WHERE id = ?")
      .bind(1, status)
      .bind(2, now_utc())
      .bind(3, id)
      .run();
  tx.commit();
}

std::optional<bool> Store::decision(const std::string& id, std::int64_t epoch) {
  auto q = db_.prepare("SELECT decision FROM decisions WHERE trial_id = ? AND epoch = ?");
  q.bind(1, id).bind(2, epoch);
  if (!q.step()) return std::nullopt;
  return q.text(0) == "continue";
}

void Store::record_decision(const std::string& id, std::int64_t epoch, const std::string& rule,
                            std::optional<double> value, bool keep) {
  auto st = db_.prepare(
      "INSERT OR REPLACE INTO decisions (trial_id, epoch, rule, value, decision) "
      "VALUES (?, ?, ?, ?, ?)");
  st.bind(1, id).bind(2, epoch).bind(3, rule);
  if (value)
    bind_value(st, 4, *value);
  else
    st.bind_null(4);
  st.bind(5, std::string(keep ? "continue" : "stop")).run();
}

std::vector<double> Store::rung_values(const std::string& sweep, std::int64_t epoch,
                                       const std::string& except) {
  return column_of(db_.prepare("SELECT d.value FROM decisions d JOIN trials t ON t.id = d.trial_id "
                               "WHERE t.sweep = ? AND d.epoch = ? AND d.trial_id != ? "
                               "AND d.value IS NOT NULL")
                       .bind(1, sweep)
                       .bind(2, epoch)
                       .bind(3, except));
}

std::vector<std::vector<double>> Store::rung_points(const std::string& sweep, std::int64_t epoch,
                                                    const std::vector<std::string>& metrics,
                                                    const std::string& except) {
  auto q = db_.prepare(
      "SELECT d.trial_id, m.value FROM decisions d JOIN trials t ON t.id = d.trial_id "
      "JOIN metrics m ON m.trial_id = d.trial_id AND m.epoch = d.epoch AND m.name = ? "
      "WHERE t.sweep = ? AND d.epoch = ? AND d.trial_id != ? AND m.value IS NOT NULL "
      "ORDER BY d.trial_id");
  std::map<std::string, std::vector<double>> by_trial;
  for (std::size_t k = 0; k < metrics.size(); ++k) {
    q.bind(1, metrics[k]).bind(2, sweep).bind(3, epoch).bind(4, except);
    while (q.step())
      if (auto& v = by_trial[q.text(0)]; v.size() == k) v.push_back(q.real(1));
    q.reset();
  }
  std::vector<std::vector<double>> out;
  for (auto& [id, v] : by_trial)
    if (v.size() == metrics.size()) out.push_back(std::move(v));
  return out;
}

std::vector<double> Store::running_averages(const std::string& sweep, const std::string& metric,
                                            std::int64_t epoch, const std::string& except) {
  return column_of(db_.prepare("SELECT avg(m.value) FROM metrics m JOIN trials t ON t.id = "
                               "m.trial_id WHERE t.sweep = ? AND m.name = ? AND m.epoch <= ? AND "
                               "m.trial_id != ? GROUP BY m.trial_id HAVING max(m.epoch) >= ?")
                       .bind(1, sweep)
                       .bind(2, metric)
                       .bind(3, epoch)
                       .bind(4, except)
                       .bind(5, epoch));
}

double Store::best_value(const std::string& id, const std::string& metric, std::int64_t epoch,
                         bool lowest) {
  auto q = db_.prepare(std::string("SELECT ") + (lowest ? "min" : "max") +
                       "(value) FROM metrics WHERE trial_id = ? AND name = ? AND epoch <= ?");
  q.bind(1, id).bind(2, metric).bind(3, epoch);
  q.step();
  return q.real(0);
}

void Store::fail(const std::string& id, const std::string& error) {
  end_attempt(id, "failed", error);
}

std::vector<std::string> sweep_names(Database& db) {
  auto q = db.prepare("SELECT DISTINCT sweep FROM trials ORDER BY sweep");
  std::vector<std::string> names;
  while (q.step()) names.push_back(q.text(0));
  return names;
}

std::string missing_sweep(Database& db, const std::string& sweep) {
  const auto names = sweep_names(db);
  if (std::find(names.begin(), names.end(), sweep) != names.end()) return "";
  std::string list;
  for (const auto& s : names) list += (list.empty() ? "" : ", ") + s;
  return "no sweep '" + sweep + "' in this database; its sweeps: " + (list.empty() ? "none" : list);
}

std::vector<std::string> varied_keys(Database& db, const std::string& sweep) {
  auto q = db.prepare(
      "SELECT substr(j.fullkey, 3) FROM trials t, json_tree(t.config) j WHERE t.sweep = ? AND "
      "j.type != 'object' AND j.fullkey NOT LIKE '%]' GROUP BY j.fullkey "
      "HAVING count(DISTINCT j.type || ':' || coalesce(j.atom, j.value, '')) > 1 OR "
      "count(*) < (SELECT count(*) FROM trials WHERE sweep = ?) ORDER BY j.fullkey");
  q.bind(1, sweep).bind(2, sweep);
  std::vector<std::string> keys;
  while (q.step()) keys.push_back(q.text(0));
  return keys;
}

std::vector<TrialFinals> trial_finals(Database& db, const std::vector<std::string>& ids,
                                      const std::vector<std::string>& metrics) {
  auto status = db.prepare("SELECT status FROM trials WHERE id = ?");
  auto value = db.prepare("SELECT value FROM final_metrics WHERE trial_id = ? AND name = ?");
  std::vector<TrialFinals> out;
  for (const auto& id : ids) {
    TrialFinals f;
    status.bind(1, id);
    if (status.step()) f.status = status.text(0);
    status.reset();
    for (const auto& m : metrics) {
      value.bind(1, id).bind(2, m);
      std::optional<double> v;
      if (value.step() && value.column_type(0) != SQLITE_NULL) v = value.real(0);
      f.values.push_back(f.status.empty() ? std::nullopt : v);
      value.reset();
    }
    out.push_back(std::move(f));
  }
  return out;
}

std::int64_t unfinished_trials(Database& db, const std::string& sweep) {
  auto q = db.prepare(
      "SELECT count(*) FROM trials WHERE sweep = ? AND status NOT IN ('completed', 'pruned')");
  q.bind(1, sweep);
  q.step();
  return q.integer(0);
}

}  // namespace results
