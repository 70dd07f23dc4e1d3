// `runner report`: an HTML page of the database's sweeps that opens from disk with no network.
#include <iostream>
#include <stdexcept>

#include "data/datasets.h"
#include "results/artifacts.h"
#include "results/report.h"
#include "runner/cli/commands.h"
#include "util/errors.h"
#include "util/files.h"

namespace runner {
namespace {

// Vega 5's single-file build, fetched by scripts/setup.sh (npm package vega, pinned).
constexpr const char* kVega = "/vega/vega.min.js";

std::string page(const std::string& data_json) {
  return "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<title>runner report</title>\n<link rel=\"stylesheet\" href=\"report.css\">\n"
         "<script src=\"vega.min.js\"></script>\n</head>\n<body>\n<h1>runner report</h1>\n"
         "<p class=\"meta\" id=\"meta\"></p>\n<div id=\"errors\"></div>\n<main "
         "id=\"sweeps\"></main>\n"
         "<script id=\"report-data\" type=\"application/json\">" +
         data_json + "</script>\n<script src=\"report.js\"></script>\n</body>\n</html>\n";
}

}  // namespace

int cmd_report(Args& a) {
  if (a.out.empty()) throw util::usage_error("--out DIR is required");
  const std::string sweep = a.value("--sweep");
  const std::string vega = data::data_root() + kVega;
  if (!util::file_exists(vega))
    throw std::runtime_error(vega + " is missing: run scripts/setup.sh, which fetches Vega");
  results::ReportData r;
  try {
    results::Database db(a.db, results::Database::Mode::ReadOnly);
    r = results::report_data(db, sweep);
  } catch (const std::invalid_argument& e) {
    throw util::InputError({a.db, 0}, "--sweep", e.what());
  }
  const std::string out = a.out + "/";
  const std::string db_dir = results::database_folder(a.db);
  std::size_t missing = 0;
  for (const auto& p : r.pictures) {
    if (!p.bytes.empty()) {
      util::write_file_atomically(out + p.to, p.bytes);
    } else if (!p.from.empty() && util::file_exists(db_dir + p.from)) {
      util::write_file_atomically(out + p.to, util::read_file(db_dir + p.from));
    } else {
      ++missing;
    }
  }
  util::write_file_atomically(out + "vega.min.js", util::read_file(vega));
  util::write_file_atomically(out + "report.js", results::kReportJs);
  util::write_file_atomically(out + "report.css", results::kReportCss);
  // Last: a page that exists has everything it needs beside it.
  util::write_file_atomically(out + "index.html", page(r.json));
  std::cout << "wrote " << out << "index.html (" << r.sweeps.size() << " sweep(s), "
            << r.pictures.size() - missing << " pictures";
  if (missing > 0) std::cout << "; " << missing << " missing (files an older runner kept beside the database)";
  std::cout << "); open it in a browser, no network needed" << std::endl;
  return util::kExitOk;
}

}  // namespace runner
