#include "runner/record/early_stop.h"

#include <algorithm>
#include <cmath>

namespace runner {
namespace {

using sweeps::Goal;

// The q-quantile of `v` (0 <= q <= 1), interpolating linearly between order statistics.
double quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

}  // namespace

bool judges_at(const sweeps::EarlyStopConfig& c, std::int64_t epoch) {
  if (c.kind == sweeps::EarlyStopKind::kMedian) return epoch >= c.grace_epochs;
  if (c.kind != sweeps::EarlyStopKind::kAsha) return false;
  for (double rung = static_cast<double>(c.grace_epochs);; rung *= c.reduction) {
    const auto r = std::llround(rung);
    if (r == epoch) return true;
    if (r > epoch) return false;
  }
}

bool asha_keeps(const sweeps::EarlyStopConfig& c, double value, std::vector<double> recorded) {
  recorded.push_back(value);
  // Best values first whichever the mode: for min, the best 1/eta lie at or below the 1/eta
  // quantile; for max, at or above the 1 - 1/eta one.
  if (c.mode == Goal::kMin) return value <= quantile(recorded, 1.0 / c.reduction);
  return value >= quantile(recorded, 1.0 - 1.0 / c.reduction);
}

bool median_keeps(const sweeps::EarlyStopConfig& c, double best, std::vector<double> others) {
  if (static_cast<std::int64_t>(others.size()) < c.min_trials || others.empty()) return true;
  const double median = quantile(others, 0.5);
  return c.mode == Goal::kMin ? best <= median : best >= median;
}

bool EarlyStopper::goes_on(const std::string& trial_id, std::int64_t epoch,
                           const util::Metrics& values) {
  if (!enabled() || !judges_at(c_, epoch)) return true;
  if (const auto before = store_.decision(trial_id, epoch)) return *before;
  const auto value = util::find_metric(values, c_.metric);
  const bool min = c_.mode == Goal::kMin;
  bool keep = true;
  if (value && std::isfinite(*value)) {
    if (c_.kind == sweeps::EarlyStopKind::kAsha)
      keep = asha_keeps(c_, *value, store_.rung_values(sweep_, epoch, trial_id));
    else
      keep = median_keeps(c_, store_.best_value(trial_id, c_.metric, epoch, min),
                          store_.running_averages(sweep_, c_.metric, epoch, trial_id));
  }
  store_.record_decision(trial_id, epoch, sweeps::name_of(c_.kind), value, keep);
  return keep;
}

}  // namespace runner
