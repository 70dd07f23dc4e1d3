# Writes OUT, a C++ source holding the report's page script and style (JS, CSS) as strings, so
# that the runner needs no file beside its binary to write a report.
file(READ "${JS}" js)
file(READ "${CSS}" css)
file(WRITE "${OUT}" "// Generated from results/report/ by embed.cmake; do not edit.\n"
  "namespace results {\n"
  "extern const char* const kReportJs = R\"__report__(${js})__report__\";\n"
  "extern const char* const kReportCss = R\"__report__(${css})__report__\";\n"
  "}  // namespace results\n")
