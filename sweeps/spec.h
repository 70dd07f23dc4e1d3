#pragma once
// A sweep file, parsed and validated, and its expansion into trials.
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "sweeps/config.h"
#include "sweeps/value.h"
#include "util/errors.h"

namespace sweeps {

using util::InputError;
using util::Source;

struct ModelFile {  // a model.path, resolved when the sweep is loaded
  std::string file, hash;
};

struct Axis {  // one [sweep.grid] entry
  std::string path;
  std::vector<Value> values;
};

struct Distribution {  // one [sweep.random] entry
  enum class Kind { Uniform, LogUniform, IntUniform, Choice };
  std::string path;
  Kind kind;
  double low = 0, high = 0;
  std::vector<Value> choices;
};

// A uniform double in [0, 1), and a value of `d`, from `rng`: the same on every platform.
double unit(std::mt19937_64& rng);
Value draw(const Distribution& d, std::mt19937_64& rng);

// [sweep.search] constraints: "active_bits <= 50" on a final metric.
struct Constraint {
  enum class Op { kLe, kLt, kGe, kGt };
  std::string metric;
  Op op = Op::kLe;
  double bound = 0;
  std::string text;  // as written
  // How far `value` lies outside (0: it holds). A strict bound met with equality is off by
  // the smallest amount.
  double violation(double value) const;
};
// Reads "metric op number"; throws InputError at `where` naming `key`.
Constraint parse_constraint(const std::string& text, const Source& where, const std::string& key);

struct SweepSpec {
  static constexpr Section kSection = Section::kSweep;
  SweepSpec() { apply_defaults(kSection, this); }  // the top-level keys' defaults
  std::string file;                                // where it was read from, for messages
  std::string name;
  std::int64_t seed = 0;
  std::int64_t repeats = 0;
  std::int64_t max_trials = 0;
  Params base;                       // every trial key: the file's value or the default
  std::vector<Params> cases;         // [[sweep.cases]]; empty means one case with no overrides
  std::vector<Axis> grid;            // [sweep.grid], sorted by path
  std::int64_t samples = 0;          // [sweep.random] samples; 0 when there is no such table
  std::vector<Distribution> random;  // sorted by path
  ClusterConfig cluster;
  EarlyStopConfig early_stop;             // [sweep.early_stop]
  // [sweep.search]: trials proposed while the sweep runs, `search.trials` for each fixed part
  // (each case and grid point: expand() gives them, as trials that are not run themselves).
  SearchConfig search;
  std::vector<Distribution> space;  // [sweep.search.space], sorted by path; empty: no search
  std::vector<Objective> objectives;
  std::vector<Constraint> constraints;
  std::vector<std::string> warm_start;    // sweeps whose finished trials seed the sampler
  std::string dataset_dir;  // the sweep file's folder: relative dataset and model paths start here
  // Each model.path a trial may take -> the file it names and the hash of its contents (what
  // a trial's identity holds instead of the path).
  std::map<std::string, ModelFile> model_files;
  std::map<std::string, Source> sources;  // where each trial key was set (file and line)

  // Where `path` was set: its line in the file, or the file alone for defaults.
  Source source_of(const std::string& path) const;
  bool searching() const { return !space.empty(); }
};

struct Trial {
  std::string id;  // stable: derived from sweep name, config and repeat
  std::int64_t repeat = 0;
  std::int64_t seed = 0;    // derived from the config and repeat
  Params params;            // every trial key, resolved
  std::string config_json;  // canonical, stored in the database
  std::string config_hash;
};

// Reads and validates a sweep; `overrides` are "key=value" strings from --set. Throws InputError.
SweepSpec load_sweep(const std::string& path, const std::vector<std::string>& overrides = {});
SweepSpec parse_sweep(const std::string& text, const std::string& file,
                      const std::vector<std::string>& overrides = {});

// The trials the sweep trains (with a search, at most: its budget over every fixed part).
std::int64_t count_trials(const SweepSpec& spec);
// The trials the file lists; with a search, its fixed parts (each searched key at its default).
std::vector<Trial> expand(const SweepSpec& spec);
// The trial of `params` (every trial key) at `repeat`: its id, seed and canonical config.
Trial trial_of(const SweepSpec& spec, const Params& params, std::int64_t repeat);
// Keys whose value differs between trials (what a plan line or a results table shows).
std::vector<std::string> varying_keys(const std::vector<Trial>& trials);

}  // namespace sweeps
