#pragma once
// The values a sweep can set, and the canonical JSON they are stored and hashed as.
#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "util/json.h"

namespace sweeps {

using IntList = std::vector<std::int64_t>;
using Value = std::variant<bool, std::int64_t, double, std::string, IntList>;
// A resolved trial: dotted key ("model.latent") -> value. std::map keeps keys sorted, which makes
// the JSON canonical and trial ids stable.
using Params = std::map<std::string, Value>;

using util::format_double;  // shortest text that reads back to the same double
std::string to_json(const Value& v);
// Compact text for plan lines and tables: 8, 0.001, [128,64], relu.
std::string to_display(const Value& v);
// Nested JSON object of params ("model.latent" -> {"model":{"latent":..}}), keys sorted.
std::string params_to_json(const Params& params, const std::map<std::string, Value>& top = {});

}  // namespace sweeps
