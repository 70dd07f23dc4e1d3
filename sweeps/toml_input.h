#pragma once
// What the readers of a sweep file share: where a node was written, and suggestions for a
// misspelt key.
#include <string>
#include <vector>

#include "sweeps/schema.h"

namespace sweeps {

constexpr const char* kSetPrefix = "--set ";  // Source::file of values that came from --set

// The file and line of `node` (for a --set value, the override itself).
Source source_of(const toml::node& node, const std::string& file);
// Every key of `scope`.
std::vector<std::string> paths_in(Scope scope);
// " (did you mean 'x'?)" for the candidate closest to `path`, or "".
std::string suggestion(const std::string& path, const std::vector<std::string>& candidates);

}  // namespace sweeps
