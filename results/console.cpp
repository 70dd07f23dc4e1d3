#include "results/console.h"

#include <cstdio>
#include <optional>

#include "results/population.h"
#include "results/proposals.h"
#include "util/metrics.h"

namespace results {

void print_status(const std::string& db_path, std::ostream& out) {
  Database db(db_path, Database::Mode::ReadOnly);
  static const char* const kStatuses[] = {"pending", "running", "interrupted", "completed",
                                          "pruned",  "failed",  "stale"};
  auto sweeps = db.prepare("SELECT DISTINCT sweep FROM trials ORDER BY sweep");
  auto count = db.prepare("SELECT count(*) FROM trials WHERE sweep = ? AND status = ?");
  // Trials in flight (or stopped in flight), with the last epoch of their series and the epochs
  // it will hold.
  auto live = db.prepare(
      "SELECT t.id, t.status, t.host, t.ranks, t.started_at, t.ended_at, "
      " (SELECT max(epoch) FROM metrics WHERE trial_id = t.id), t.series_epochs "
      "FROM trials t WHERE t.sweep = ? AND t.status IN ('running', 'interrupted', 'stale') "
      "ORDER BY t.status, t.started_at");
  bool any = false;
  while (sweeps.step()) {
    any = true;
    const std::string sweep = sweeps.text(0);
    out << "sweep " << sweep << "\n ";
    std::int64_t total = 0;
    for (const char* status : kStatuses) {
      count.bind(1, sweep).bind(2, std::string(status));
      count.step();
      out << " " << status << " " << count.integer(0);
      total += count.integer(0);
      count.reset();
    }
    out << "  (" << total << " trials)\n";
    print_runs(db, sweep, out);
    print_search(db, sweep, out);
    live.bind(1, sweep);
    while (live.step()) {
      const std::string status = live.text(1);
      const std::string epoch =
          live.column_type(6) == SQLITE_NULL ? "0" : std::to_string(live.integer(6));
      out << "  " << status << (status == "running" ? "      " : "  ") << live.text(0) << "  epoch "
          << epoch << "/"
          << (live.column_type(7) == SQLITE_NULL ? "?" : std::to_string(live.integer(7)));
      if (status == "running")
        out << "  ranks " << live.text(3) << " on " << live.text(2) << " since " << live.text(4);
      else
        out << "  since " << live.text(5);
      out << "\n";
    }
    live.reset();
  }
  if (!any) out << "no trials in " << db_path << "\n";
  out.flush();
}

namespace {

// A population (sampler = "pbt"): its decisions and its best member so far.
void print_population(Database& db, const std::string& sweep, const SearchObjective& objective,
                      std::ostream& out) {
  auto q = db.prepare(
      "SELECT count(*), count(source) FROM pbt_decisions WHERE trial_id IN "
      "(SELECT id FROM trials WHERE sweep = ?)");
  q.bind(1, sweep);
  q.step();
  out << "\n  population: " << q.integer(0) << " decision(s), " << q.integer(1)
      << " exploit(s): SELECT * FROM pbt_decisions\n";
  const std::string best = best_member(db, sweep, objective.metric, objective.maximize);
  if (best.empty()) return;
  auto v = db.prepare(
      "SELECT epoch, value FROM metrics WHERE trial_id = ? AND name = ? ORDER BY epoch DESC LIMIT "
      "1");
  v.bind(1, best).bind(2, objective.metric);
  v.step();
  out << "  best member " << best << "  " << objective.metric << "="
      << util::format_fixed(v.real(1), 5) << " at epoch " << v.integer(0)
      << "  (runner export --replay writes its schedule)\n";
}

}  // namespace

void print_search(Database& db, const std::string& sweep, std::ostream& out) {
  // A database of an older runner, opened read-only, has no searches table.
  if (!has_table(db, "searches")) return;
  const auto s = search_of(db, sweep);
  if (!s) return;
  auto proposed = db.prepare("SELECT count(*) FROM proposals WHERE sweep = ?");
  proposed.bind(1, sweep);
  proposed.step();
  out << "  search " << s->sampler << ": " << proposed.integer(0) << "/" << s->trials * s->parts
      << " proposed (" << s->parts << " part(s) of " << s->trials << "); objectives";
  std::vector<std::string> metrics;
  for (const auto& o : s->objectives) {
    out << " " << o.metric << " (" << (o.maximize ? "max" : "min") << ")";
    metrics.push_back(o.metric);
  }
  for (std::size_t i = 0; i < s->constraints.size(); ++i)
    out << (i ? ", " : "; constraints ") << s->constraints[i];
  if (s->sampler == "pbt") return print_population(db, sweep, s->objectives.at(0), out);
  const auto front = pareto_front(db, sweep);
  const auto values = trial_finals(db, front, metrics);
  out << "\n  " << (metrics.size() > 1 ? "Pareto front" : "best") << " (" << front.size()
      << " trial(s), feasible and finished):\n";
  constexpr std::size_t kShown = 12;
  for (std::size_t i = 0; i < front.size() && i < kShown; ++i) {
    out << "    " << front[i];
    for (std::size_t k = 0; k < metrics.size(); ++k)
      out << "  " << metrics[k] << "="
          << (values[i].values[k] ? util::format_fixed(*values[i].values[k], 5) : "-");
    out << "\n";
  }
  if (front.size() > kShown)
    out << "    ... " << front.size() - kShown << " more: SELECT * FROM pareto_front\n";
}

void print_runs(Database& db, const std::string& sweep, std::ostream& out) {
  // A database of an older runner, opened read-only, has no runs table.
  if (!has_table(db, "runs")) return;
  for (const auto& r : open_runs(db, sweep)) {
    // A lost run that holds nothing any more (its trials were taken over) is history.
    if (!r.live && r.trials.empty()) continue;
    out << "  run " << r.id << (r.live ? "  live" : "  LOST") << "  " << r.host << " pid " << r.pid
        << (r.slurm_job.empty() ? "" : " (SLURM job " + r.slurm_job + ")") << ", " << r.ranks
        << " rank(s), since " << r.started_at << ", renewed " << static_cast<long>(r.quiet_s)
        << " s ago (lease " << static_cast<long>(r.lease_s) << " s): ";
    out << r.trials.size() << " trial(s)";
    for (std::size_t i = 0; i < r.trials.size(); ++i) out << (i ? ", " : " ") << r.trials[i];
    if (!r.live) out << "; the next run to look takes them over";
    out << "\n";
  }
}

namespace {

// Pragmas that only report: about a table or index named in their argument, or, without an
// argument, about the database. Any other pragma may write (optimize, wal_checkpoint) or change
// the connection; with a value, user_version and the like would set it.
constexpr const char* kNamedPragmas[] = {"table_info",      "table_xinfo", "index_list",
                                         "index_info",      "index_xinfo", "foreign_key_list",
                                         "integrity_check", "quick_check"};
constexpr const char* kBarePragmas[] = {"table_list",     "database_list", "user_version",
                                        "schema_version", "page_count",    "page_size",
                                        "compile_options"};

bool reporting_pragma(const char* name, const char* argument) {
  for (const char* p : kNamedPragmas)
    if (sqlite3_stricmp(name, p) == 0) return true;
  for (const char* p : kBarePragmas)
    if (sqlite3_stricmp(name, p) == 0 && !argument) return true;
  return false;
}

// SQLite's authorizer for `runner query`: reading, functions, common table expressions and
// reporting pragmas; everything else (ATTACH, DETACH, every write, transactions, temporary
// tables) is refused while the statement is prepared, before it can run. Notes the refusal in
// `*denied`.
int only_reading(void* denied, int action, const char* arg1, const char* arg2, const char*,
                 const char*) {
  const bool ok = action == SQLITE_SELECT || action == SQLITE_READ || action == SQLITE_FUNCTION ||
                  action == SQLITE_RECURSIVE ||
                  (action == SQLITE_PRAGMA && reporting_pragma(arg1, arg2));
  if (!ok) *static_cast<bool*>(denied) = true;
  return ok ? SQLITE_OK : SQLITE_DENY;
}

constexpr const char* kReadOnly =
    "runner query only reads: ATTACH, DETACH, VACUUM (INTO), writes, transactions and pragmas "
    "that set or change anything are refused";

}  // namespace

void query_csv(const std::string& db_path, const std::string& sql, std::ostream& out) {
  Database db(db_path, Database::Mode::ReadOnly);
  bool denied = false;
  SQLITE_CHECK(db.handle(), sqlite3_set_authorizer(db.handle(), only_reading, &denied));
  std::optional<Statement> prepared;
  try {
    prepared.emplace(db.prepare(sql));
  } catch (const SqliteError&) {
    if (denied) throw SqliteError(std::string(kReadOnly));
    throw;
  }
  // VACUUM INTO passes the authorizer; SQLite knows it writes.
  if (!sqlite3_stmt_readonly(prepared->handle())) throw SqliteError(std::string(kReadOnly));
  Statement& q = *prepared;
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
