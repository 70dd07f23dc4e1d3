#include "runner/record/early_stop.h"

#include <algorithm>
#include <cmath>

#include "search/sampler.h"

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

bool pareto_keeps(const sweeps::EarlyStopConfig& c, const std::vector<double>& own,
                  const std::vector<std::vector<double>>& others) {
  // As points to minimise, this trial first (the stable orders keep it ahead of its equals).
  auto point = [&](const std::vector<double>& v) {
    search::Observation o;
    for (std::size_t k = 0; k < v.size(); ++k)
      o.values.push_back(c.objectives[k].mode == Goal::kMax ? -v[k] : v[k]);
    return o;
  };
  std::vector<search::Observation> all = {point(own)};
  for (const auto& v : others) all.push_back(point(v));
  const auto keep =
      static_cast<std::size_t>(std::ceil(static_cast<double>(all.size()) / c.reduction));
  const auto order = search::order_by_merit(all);
  return std::find(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(keep), 0) !=
         order.begin() + static_cast<std::ptrdiff_t>(keep);
}

bool EarlyStopper::goes_on(const std::string& trial_id, std::int64_t epoch,
                           const util::Metrics& values) {
  if (!enabled() || !judges_at(c_, epoch)) return true;
  if (const auto before = store_.decision(trial_id, epoch)) return *before;
  if (c_.objectives.size() >= 2) return goes_on_by_front(trial_id, epoch, values);
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

bool EarlyStopper::goes_on_by_front(const std::string& trial_id, std::int64_t epoch,
                                    const util::Metrics& values) {
  std::vector<std::string> names;
  std::vector<double> own;
  for (const auto& o : c_.objectives) {
    names.push_back(o.metric);
    const auto v = util::find_metric(values, o.metric);
    if (v && std::isfinite(*v)) own.push_back(*v);
  }
  // A series missing or not finite: the trial goes on, as with one series.
  const bool keep = own.size() < names.size() ||
                    pareto_keeps(c_, own, store_.rung_points(sweep_, epoch, names, trial_id));
  const auto first = util::find_metric(values, names.front());
  store_.record_decision(trial_id, epoch, sweeps::name_of(c_.kind), first, keep);
  return keep;
}

}  // namespace runner
