#pragma once
// The data of `runner report`: every sweep of a database (or one) as one JSON document that the
// report's page draws (results/report/report.js). Read on a read-only connection, so a report
// can be made while a sweep runs.
#include <string>
#include <utility>
#include <vector>

#include "results/sqlite.h"

namespace results {

struct ReportData {
  std::string json;  // safe inside a page's <script>: '<', '>' and '&' are escaped
  // (path relative to the database's folder, path inside the report) of every picture.
  std::vector<std::pair<std::string, std::string>> pictures;
  std::vector<std::string> sweeps;
};

// The page's script and style (results/report/, compiled in).
extern const char* const kReportJs;
extern const char* const kReportCss;

// Throws std::invalid_argument naming the sweeps there are when `sweep` is given and absent.
ReportData report_data(Database& db, const std::string& sweep);

}  // namespace results
