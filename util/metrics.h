#pragma once
// What a trial measures and draws, as it travels from the rank that trains it to the store.
#include <cstdio>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace util {

// (name, value) pairs in the order they were computed: a series epoch or the final metrics.
using Metrics = std::vector<std::pair<std::string, double>>;
// (kind, PNG bytes) of a trial's pictures.
using Artifacts = std::vector<std::pair<std::string, std::string>>;

// Timings: "seconds", "samples_per_s" and where a trial's time went ("seconds_<phase>", README,
// "Where a trial's time goes"). They differ between any two runs of one trial; the rest must not.
inline bool is_timing(const std::string& name) {
  return name == "samples_per_s" || name.rfind("seconds", 0) == 0;
}

inline std::optional<double> find_metric(const Metrics& m, const std::string& name) {
  for (const auto& [k, v] : m)
    if (k == name) return v;
  return std::nullopt;
}

// `v` with `digits` digits after the point, as tables and logs show metrics.
inline std::string format_fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

}  // namespace util
