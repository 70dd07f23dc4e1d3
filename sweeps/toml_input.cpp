#include "sweeps/toml_input.h"

#include <toml++/toml.h>

namespace sweeps {

Source source_of(const toml::node& node, const std::string& file) {
  const auto& src = node.source();
  if (src.path && src.path->rfind(kSetPrefix, 0) == 0) return {*src.path, 0};
  return {file, static_cast<int>(src.begin.line)};
}

std::vector<std::string> paths_in(Scope scope) {
  std::vector<std::string> out;
  for (const auto& k : all_keys())
    if (k.scope == scope) out.push_back(k.path);
  return out;
}

std::string suggestion(const std::string& path, const std::vector<std::string>& candidates) {
  std::string best = closest_key(path, candidates);
  return best.empty() ? "" : " (did you mean '" + best + "'?)";
}

}  // namespace sweeps
