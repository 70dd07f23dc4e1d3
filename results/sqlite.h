#pragma once
// A thin RAII layer over SQLite. Every call goes through SQLITE_CHECK, so a failure names the
// call, the database and SQLite's own message.
#include <sqlite3.h>

#include <cstdint>
#include <stdexcept>
#include <string>

namespace results {

class SqliteError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

void sqlite_check(int code, sqlite3* db, const char* call, const char* file, int line);
#define SQLITE_CHECK(db, call) ::results::sqlite_check((call), (db), #call, __FILE__, __LINE__)

class Statement;

// How long a statement waits for another connection's lock before SQLite answers "busy".
constexpr int kBusyTimeoutMs = 10000;

class Database {
 public:
  enum class Mode { ReadOnly, ReadWrite };
  Database(const std::string& path, Mode mode);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  void exec(const std::string& sql);
  Statement prepare(const std::string& sql);
  sqlite3* handle() { return db_; }
  const std::string& path() const { return path_; }

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

class Statement {
 public:
  Statement(sqlite3* db, const std::string& sql);
  ~Statement();
  Statement(Statement&& o) noexcept : db_(o.db_), st_(o.st_) { o.st_ = nullptr; }
  Statement(const Statement&) = delete;

  Statement& bind(int i, const std::string& v);
  Statement& bind(int i, std::int64_t v);
  Statement& bind(int i, double v);
  Statement& bind_blob(int i, const std::string& bytes);
  Statement& bind_null(int i);
  bool step();  // true while a row is available
  void run();   // step to completion, then reset for reuse
  void reset();
  int columns() const { return sqlite3_column_count(st_); }
  std::string column_name(int i) const { return sqlite3_column_name(st_, i); }
  int column_type(int i) const { return sqlite3_column_type(st_, i); }
  std::string text(int i) const;
  std::string blob(int i) const;
  std::int64_t integer(int i) const { return sqlite3_column_int64(st_, i); }
  double real(int i) const { return sqlite3_column_double(st_, i); }
  sqlite3_stmt* handle() { return st_; }

 private:
  sqlite3* db_;
  sqlite3_stmt* st_ = nullptr;
};

// Whether the database has this table, or this column of a table: what a database written by an
// older runner lacks.
bool has_table(Database& db, const std::string& table);
bool has_column(Database& db, const std::string& table, const std::string& column);

// BEGIN IMMEDIATE ... COMMIT, rolled back if the scope is left by an exception. Inside another
// transaction it is a savepoint: its changes stand or fall together, and become durable when the
// outer one commits.
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Database& db_;
  const bool nested_;
  bool done_ = false;
};

}  // namespace results
