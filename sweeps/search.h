#pragma once
// Reading [sweep.search]: the sampler's settings, its space (the same distributions as
// [sweep.random]), objectives, constraints and the sweeps it starts warm from.
#include <functional>
#include <string>
#include <vector>

#include "sweeps/spec.h"

namespace toml {
inline namespace v3 {
class node;
}
}  // namespace toml

namespace sweeps {

using SpaceReader = std::function<std::vector<Distribution>(const toml::node&)>;

// [{ metric = "...", mode = "min" }, ...] at `key`; `check` throws for a metric not allowed there.
using MetricCheck = std::function<void(const std::string& metric, const Source& at)>;
std::vector<Objective> read_objectives(const toml::node& node, const std::string& file,
                                       const std::string& key, const MetricCheck& check);

// Fills spec.search, space, objectives, constraints and warm_start; throws InputError with the
// file, line and key of anything wrong.
void read_search(const toml::node& node, SweepSpec& spec, const std::string& file,
                 const SpaceReader& read_space);

}  // namespace sweeps
