#pragma once
// The JSON text the runner writes: canonical configs, exports, the report's data.
#include <string>

namespace util {

// `s` as a JSON string, quotes included.
std::string json_string(const std::string& s);
// Shortest text that reads back to the same double (so 1e-3 prints as 0.001); NaN as null.
std::string format_double(double v);

}  // namespace util
