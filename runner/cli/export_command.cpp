// `runner export`: a sweep of the database in a format other tools read (an Optuna journal).
#include <iostream>
#include <sstream>

#include "results/optuna_export.h"
#include "runner/cli/commands.h"
#include "util/errors.h"
#include "util/files.h"

namespace runner {

int cmd_export(Args& a) {
  if (a.values.count("--replay")) return export_replay(a);
  results::OptunaExport e;
  e.sweep = a.required("--sweep", "NAME");
  const std::string file = a.required("--optuna-journal", "FILE");
  bool chosen = false;
  if (a.values.count("--objective"))
    e.objectives = {{a.value("--objective"), false}}, chosen = true;
  if (a.values.count("--direction")) {
    const std::string d = a.value("--direction");
    if (d != "minimize" && d != "maximize")
      throw util::usage_error("--direction must be minimize or maximize, got '" + d + "'");
    e.objectives.resize(1);
    e.objectives[0].maximize = d == "maximize";
    chosen = true;
  }
  std::ostringstream journal;
  results::OptunaExportSummary s;
  try {
    results::Database db(a.db, results::Database::Mode::ReadOnly);
    // A search's own objectives unless others are asked for.
    if (!chosen && results::has_table(db, "searches"))
      if (const auto search = results::search_of(db, e.sweep)) e.objectives = search->objectives;
    s = results::write_optuna_journal(db, e, journal);
  } catch (const results::ExportInputError& err) {
    throw util::InputError({a.db, 0}, "--" + err.field, err.what());
  }
  util::write_file_atomically(file, journal.str());
  std::cout << "wrote " << file << ": study '" << e.sweep << "', " << s.complete << " complete, "
            << s.pruned << " pruned, " << s.failed << " failed";
  if (s.left_out > 0) std::cout << " (" << s.left_out << " not finished, left out)";
  std::cout << "; objective";
  for (const auto& o : e.objectives)
    std::cout << " " << o.metric << " (" << (o.maximize ? "maximize" : "minimize") << ")";
  std::cout << ", intermediate values " << (s.series.empty() ? "none" : s.series)
            << "; parameters:";
  for (const auto& p : s.params) std::cout << " " << p;
  if (s.params.empty()) std::cout << " none (no key varies)";
  std::cout << std::endl;
  return util::kExitOk;
}

}  // namespace runner
