#include "sweeps/config.h"

#include "sweeps/schema.h"

namespace sweeps {

bool operator==(const TrialConfig& a, const TrialConfig& b) {
  if (a.data.path != b.data.path || a.model.file != b.model.file ||
      a.model.file_hash != b.model.file_hash)
    return false;
  for (const auto& k : all_keys())
    if (k.scope == Scope::Trial && k.get(a) != k.get(b)) return false;
  return true;
}

TrialConfig trial_config_from(const Params& params) {
  TrialConfig c;
  for (const auto& k : all_keys()) {
    if (k.scope != Scope::Trial) continue;
    if (auto it = params.find(k.path); it != params.end()) k.set(c, it->second);
  }
  return c;
}

Params params_of(const TrialConfig& c) {
  Params p;
  for (const auto& k : all_keys()) {
    if (k.scope != Scope::Trial) continue;
    Value v = k.get(c);
    // An optional key without a default reads 0 (or "") in the struct when the sweep left it
    // out; when set, its bounds (or its check) keep it positive (or not empty).
    if (!k.default_value && (v == Value{std::int64_t{0}} || v == Value{std::string()})) continue;
    p[k.path] = std::move(v);
  }
  return p;
}

}  // namespace sweeps
