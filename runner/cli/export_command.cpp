// `runner export`: a sweep of the database in a format other tools read (an Optuna journal).
#include <iostream>
#include <sstream>

#include "results/optuna_export.h"
#include "runner/cli/commands.h"
#include "util/errors.h"
#include "util/files.h"

namespace runner {
namespace {

std::string required(const Args& a, const std::string& name, const std::string& what) {
  auto it = a.values.find(name);
  if (it == a.values.end() || it->second.empty())
    throw util::usage_error(name + " " + what + " is required");
  return it->second;
}

}  // namespace

int cmd_export(Args& a) {
  need_positional(a, 0, "no positional arguments");
  if (a.db.empty()) throw util::usage_error("--db PATH is required");
  results::OptunaExport e;
  e.sweep = required(a, "--sweep", "NAME");
  const std::string file = required(a, "--optuna-journal", "FILE");
  if (auto it = a.values.find("--objective"); it != a.values.end()) e.objective = it->second;
  if (auto it = a.values.find("--direction"); it != a.values.end()) {
    if (it->second != "minimize" && it->second != "maximize")
      throw util::usage_error("--direction must be minimize or maximize, got '" + it->second + "'");
    e.maximize = it->second == "maximize";
  }
  std::ostringstream journal;
  results::OptunaExportSummary s;
  try {
    results::Database db(a.db, results::Database::Mode::ReadOnly);
    s = results::write_optuna_journal(db, e, journal);
  } catch (const results::SqliteError& err) {
    throw util::InputError({a.db, 0}, "", err.what());
  } catch (const results::ExportInputError& err) {
    throw util::InputError({a.db, 0}, "--" + err.field, err.what());
  }
  util::write_file_atomically(file, journal.str());
  std::cout << "wrote " << file << ": study '" << e.sweep << "', " << s.complete << " complete, "
            << s.pruned << " pruned, " << s.failed << " failed";
  if (s.left_out > 0) std::cout << " (" << s.left_out << " not finished, left out)";
  std::cout << "; objective " << e.objective << " (" << (e.maximize ? "maximize" : "minimize")
            << "), intermediate values " << (s.series.empty() ? "none" : s.series)
            << "; parameters:";
  for (const auto& p : s.params) std::cout << " " << p;
  if (s.params.empty()) std::cout << " none (no key varies)";
  std::cout << std::endl;
  return util::kExitOk;
}

}  // namespace runner
