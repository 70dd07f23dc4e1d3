#pragma once
// Every key a sweep file may hold, one row each: its path, the struct member it fills, type,
// default, bounds, help and per-kind defaults. Parsing, validation, suggestions for misspelt keys,
// the structs' defaults, canonical JSON and the messages between ranks all read this one table.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sweeps/config.h"
#include "sweeps/value.h"
#include "util/errors.h"

namespace toml {
inline namespace v3 {
class node;
}
}  // namespace toml

namespace sweeps {

using util::InputError;
using util::Source;
struct SweepSpec;

enum class Type { Bool, Int, Float, String, IntList };

enum class Scope {
  Sweep,      // top level: name, seed, repeats, max_trials
  Trial,      // data.*, model.*, train.*, loss.*, kl.*, corruption.*: a trial's identity, sweepable
  Cluster,    // cluster.*: execution settings
  EarlyStop,  // sweep.early_stop.*: when rank 0 stops a trial early; not part of its identity
  Search,     // sweep.search.*: the sampler's settings; not part of a trial's identity
};

// Where a key's value lives: a member of one section struct, read and written as a Value (enums
// as their names). Made by the table from a pointer to the member.
struct Field {
  Section section = Section::kSweep;
  Value (*get)(const void* section) = nullptr;
  void (*set)(void* section, const Value& value) = nullptr;
};

struct KeySpec {
  std::string path;
  Field field;
  Type type = Type::Int;
  Scope scope = Scope::Trial;
  std::optional<Value> default_value;  // none: optional key without default (0 in the struct)
  bool required = false;
  double min = -1e308;  // numbers (and list elements) must be >= min, or > min when exclusive
  bool min_exclusive = false;
  double max = 1e308;  // and <= max
  // Defaults that differ by model.kind (icvae's are document 002's), over default_value.
  std::map<ModelKind, Value> kind_defaults;
  std::vector<std::string> choices;  // enums: the allowed names
  std::string help;
  // Trial keys that may differ between the members of a fused array (cluster.fuse): they change
  // what a member learns, never the shape of its model, data or steps.
  bool per_member = false;

  // The key's member in a trial's config.
  Value get(const TrialConfig& c) const;
  void set(TrialConfig& c, const Value& v) const;
  // The key's member in a section struct of its own (ClusterConfig, SweepSpec).
  template <typename S>
  Value get(const S& s) const {
    expect_section(S::kSection);
    return field.get(&s);
  }
  template <typename S>
  void set(S& s, const Value& v) const {
    expect_section(S::kSection);
    field.set(&s, v);
  }

 private:
  // Throws std::logic_error when the key's member is not in `section`.
  void expect_section(Section section) const;
};

const std::vector<KeySpec>& all_keys();
const KeySpec* find_key(const std::string& path);
// What the members of one fused array share (runner/training.h's train_array): every trial key
// but the per_member ones, and the resolved dataset path. Trials with equal shapes may fuse.
std::string array_shape(const TrialConfig& c);

// Fills every trial key `params` lacks with its default for the trial's model.kind.
void fill_defaults(Params& params);
// The known key closest to `path` by edit distance, or "" if none is plausibly meant.
std::string closest_key(const std::string& path, const std::vector<std::string>& candidates);
const char* type_name(Type t);

// Converts a TOML node to the key's type and checks its bounds; throws InputError naming `where`.
Value convert(const KeySpec& spec, const toml::node& node, const Source& where);
void check_bounds(const KeySpec& spec, const Value& v, const Source& where);

}  // namespace sweeps
