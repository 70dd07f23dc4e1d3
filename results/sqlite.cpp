#include "results/sqlite.h"

#include <sys/stat.h>

namespace results {

void sqlite_check(int code, sqlite3* db, const char* call, const char* file, int line) {
  if (code == SQLITE_OK || code == SQLITE_ROW || code == SQLITE_DONE) return;
  std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(code);
  throw SqliteError("SQLite error: " + msg + " (" + call + " at " + file + ":" +
                    std::to_string(line) + ")");
}

Database::Database(const std::string& path, Mode mode) : path_(path) {
  // SQLite's own message for this ("unable to open database file") does not say which reason.
  struct stat st;
  if (mode == Mode::ReadOnly && ::stat(path.c_str(), &st) != 0)
    throw SqliteError("no such database");
  int flags =
      mode == Mode::ReadOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw SqliteError("cannot open database: " + msg);
  }
  // A reader (runner query) may meet the writer mid-commit: wait instead of failing.
  sqlite3_busy_timeout(db_, kBusyTimeoutMs);
}

Database::~Database() {
  sqlite3_close(db_);
}

void Database::exec(const std::string& sql) {
  SQLITE_CHECK(db_, sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr));
}

Statement Database::prepare(const std::string& sql) {
  return Statement(db_, sql);
}

Statement::Statement(sqlite3* db, const std::string& sql) : db_(db) {
  const char* tail = nullptr;
  SQLITE_CHECK(db_, sqlite3_prepare_v2(db_, sql.c_str(), -1, &st_, &tail));
  if (!st_) throw SqliteError("empty SQL statement");
  while (tail && (*tail == ' ' || *tail == '\n' || *tail == '\t' || *tail == ';')) ++tail;
  if (tail && *tail) {
    sqlite3_finalize(st_);
    st_ = nullptr;
    throw SqliteError("only one SQL statement at a time, found more after: " +
                      std::string(tail).substr(0, 60));
  }
}

Statement::~Statement() {
  sqlite3_finalize(st_);
}

Statement& Statement::bind(int i, const std::string& v) {
  SQLITE_CHECK(db_,
               sqlite3_bind_text(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
  return *this;
}
Statement& Statement::bind(int i, std::int64_t v) {
  SQLITE_CHECK(db_, sqlite3_bind_int64(st_, i, v));
  return *this;
}
Statement& Statement::bind(int i, double v) {
  SQLITE_CHECK(db_, sqlite3_bind_double(st_, i, v));
  return *this;
}
Statement& Statement::bind_blob(int i, const std::string& bytes) {
  SQLITE_CHECK(db_, sqlite3_bind_blob64(st_, i, bytes.data(), bytes.size(), SQLITE_TRANSIENT));
  return *this;
}
Statement& Statement::bind_null(int i) {
  SQLITE_CHECK(db_, sqlite3_bind_null(st_, i));
  return *this;
}

bool Statement::step() {
  int rc = sqlite3_step(st_);
  SQLITE_CHECK(db_, rc);
  return rc == SQLITE_ROW;
}

void Statement::run() {
  while (step()) {
  }
  reset();
}

void Statement::reset() {
  sqlite3_reset(st_);
  sqlite3_clear_bindings(st_);
}

std::string Statement::blob(int i) const {
  const auto* p = static_cast<const char*>(sqlite3_column_blob(st_, i));
  return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(st_, i))) : std::string();
}

std::string Statement::text(int i) const {
  auto* p = sqlite3_column_text(st_, i);
  return p ? std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(st_, i))
           : std::string();
}

bool has_table(Database& db, const std::string& table) {
  auto q = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
  q.bind(1, table);
  return q.step();
}

bool has_column(Database& db, const std::string& table, const std::string& column) {
  auto q = db.prepare("SELECT count(*) FROM pragma_table_info(?) WHERE name = ?");
  q.bind(1, table).bind(2, column);
  q.step();
  return q.integer(0) > 0;
}

Transaction::Transaction(Database& db)
    : db_(db), nested_(sqlite3_get_autocommit(db.handle()) == 0) {
  db_.exec(nested_ ? "SAVEPOINT nested" : "BEGIN IMMEDIATE");
}

Transaction::~Transaction() {
  if (done_) return;
  const char* undo = nested_ ? "ROLLBACK TO nested; RELEASE nested" : "ROLLBACK";
  sqlite3_exec(db_.handle(), undo, nullptr, nullptr, nullptr);
}

void Transaction::commit() {
  db_.exec(nested_ ? "RELEASE nested" : "COMMIT");
  done_ = true;
}

}  // namespace results
