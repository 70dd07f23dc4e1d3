#include "runner/record/summary.h"

#include <array>
#include <iomanip>
#include <map>

#include "util/metrics.h"

namespace runner {

void print_summary(results::Store& store, const Plan& plan, std::ostream& out) {
  auto q = store.db().prepare(
      "SELECT t.status, "
      " (SELECT value FROM final_metrics WHERE trial_id = t.id AND name = 'recon_mse'), "
      " (SELECT value FROM final_metrics WHERE trial_id = t.id AND name = 'probe_accuracy'), "
      " (SELECT value FROM final_metrics WHERE trial_id = t.id AND name = 'seconds') "
      "FROM trials t WHERE t.id = ?");
  std::vector<std::array<std::string, 6>> rows = {
      {"trial", "status", "recon_mse", "probe_acc", "seconds", "config"}};
  std::map<std::string, int> counts;
  for (const auto& t : plan.trials) {
    q.bind(1, t.id);
    std::array<std::string, 6> row = {t.id, "?", "-", "-", "-", describe(plan, t)};
    if (q.step()) {
      row[1] = q.text(0);
      for (int i = 1; i <= 3; ++i)
        if (q.column_type(i) != SQLITE_NULL)
          row[i + 1] = util::format_fixed(q.real(i), i == 1 ? 5 : i == 2 ? 4 : 1);
    }
    q.reset();
    ++counts[row[1]];
    rows.push_back(row);
  }
  std::array<std::size_t, 6> width{};
  for (const auto& r : rows)
    for (std::size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  out << "\n";
  for (const auto& r : rows) {
    for (std::size_t i = 0; i < r.size(); ++i)
      out << std::left << std::setw(static_cast<int>(width[i]) + 2) << r[i];
    out << "\n";
  }
  out << "\n" << plan.trials.size() << " trials:";
  for (const auto& [status, n] : counts) out << " " << n << " " << status;
  out << "  (database " << store.db().path() << ")" << std::endl;
}

}  // namespace runner
