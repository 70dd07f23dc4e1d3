#pragma once
// Every key a sweep file may hold, with its type, default and bounds. Validation, suggestions
// for misspelt keys and the typed configs all read this one table.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sweeps/input_error.h"
#include "sweeps/value.h"

namespace toml {
inline namespace v3 {
class node;
}
}  // namespace toml

namespace sweeps {

enum class Type { Bool, Int, Float, String, IntList };

enum class Scope {
  Sweep,    // top level: name, seed, repeats, max_trials
  Trial,    // data.*, model.*, train.*: a trial's identity, sweepable
  Cluster,  // cluster.*: execution settings
};

struct KeySpec {
  std::string path;
  Type type;
  Scope scope;
  std::optional<Value> default_value;  // none: optional key without default, or required
  bool required = false;
  double min = -1e308;  // numbers (and list elements) must be >= min, or > min when exclusive
  bool min_exclusive = false;
  double max = 1e308;  // and <= max
  // Defaults that differ by model.kind (icvae's are document 002's), over default_value.
  std::map<std::string, Value> kind_defaults;
  std::vector<std::string> choices;  // strings: the allowed values
  std::string help;
};

const std::vector<KeySpec>& all_keys();
// Fills every trial key `params` lacks with its default for the trial's model.kind.
void fill_defaults(Params& params);
const KeySpec* find_key(const std::string& path);
// The known key closest to `path` by edit distance, or "" if none is plausibly meant.
std::string closest_key(const std::string& path, const std::vector<std::string>& candidates);
const char* type_name(Type t);

// Converts a TOML node to the key's type and checks its bounds; throws InputError naming `where`.
Value convert(const KeySpec& spec, const toml::node& node, const Source& where);
void check_bounds(const KeySpec& spec, const Value& v, const Source& where);

}  // namespace sweeps
