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
  // Every picture: its path inside the report, and its PNG bytes (from the database) or, as
  // older runners kept them, the file beside the database it is in (relative to its folder).
  struct Picture {
    std::string to, bytes, from;
  };
  std::vector<Picture> pictures;
  std::vector<std::string> sweeps;
};

// The page's script and style (results/report/, compiled in).
extern const char* const kReportJs;
extern const char* const kReportCss;

// Throws std::invalid_argument naming the sweeps there are when `sweep` is given and absent.
ReportData report_data(Database& db, const std::string& sweep);

}  // namespace results
