#include "runner/record/summary.h"

#include <iomanip>
#include <map>

#include "runner/record/headline.h"
#include "util/metrics.h"

namespace runner {
namespace {

constexpr std::size_t kColumns = 3 + kHeadline.size();  // trial, status, headline..., config

using Row = std::array<std::string, kColumns>;

void print_rows(const std::vector<Row>& rows, std::ostream& out) {
  std::array<std::size_t, kColumns> width{};
  for (const auto& r : rows)
    for (std::size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  out << "\n";
  for (const auto& r : rows) {
    for (std::size_t i = 0; i < r.size(); ++i)
      out << std::left << std::setw(static_cast<int>(width[i]) + 2) << r[i];
    out << "\n";
  }
}

}  // namespace

void print_summary(results::Store& store, const Plan& plan, std::ostream& out) {
  std::vector<std::string> ids, metrics;
  for (const auto& t : plan.trials) ids.push_back(t.id);
  for (const auto& h : kHeadline) metrics.push_back(h.name);
  const auto finals = results::trial_finals(store.db(), ids, metrics);
  std::vector<Row> rows(1);
  rows[0] = {"trial", "status"};
  for (std::size_t i = 0; i < kHeadline.size(); ++i) rows[0][2 + i] = kHeadline[i].column;
  rows[0].back() = "config";
  std::map<std::string, int> counts;
  for (std::size_t t = 0; t < plan.trials.size(); ++t) {
    Row row;
    row[0] = plan.trials[t].id;
    row[1] = finals[t].status.empty() ? "?" : finals[t].status;
    for (std::size_t i = 0; i < kHeadline.size(); ++i)
      row[2 + i] = finals[t].values[i] ? util::format_fixed(*finals[t].values[i], kHeadline[i].digits)
                                       : "-";
    row.back() = describe(plan, plan.trials[t]);
    ++counts[row[1]];
    rows.push_back(row);
  }
  print_rows(rows, out);
  out << "\n" << plan.trials.size() << " trials:";
  for (const auto& [status, n] : counts) out << " " << n << " " << status;
  out << "  (database " << store.db().path() << ")" << std::endl;
}

}  // namespace runner
