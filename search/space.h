#pragma once
// What a sampler searches over and what it has seen. No TOML, no SQLite, no LibTorch: the sweep
// file (sweeps/) and the store (results/) are translated into these by the runner, and
// bench/sampler_bench drives them directly.
#include <cstdint>
#include <string>
#include <vector>

namespace search {

struct Param {
  enum class Kind { kUniform, kLogUniform, kInt, kChoice };
  std::string name;
  Kind kind = Kind::kUniform;
  double low = 0, high = 1;  // bounds (kInt: inclusive integers); kChoice: unused
  int choices = 0;           // kChoice: how many
};
using Space = std::vector<Param>;

// A point of a space: one value per parameter, in its own units (kChoice: the index of the choice,
// kInt: an integer).
using Point = std::vector<double>;

// A trial as a sampler sees it. Objectives are to be minimised (a maximised metric is negated by
// whoever builds the observation).
struct Observation {
  enum class State { kComplete, kPruned, kRunning };
  Point x;
  State state = State::kComplete;
  std::vector<double> values;  // one per objective; kPruned: the last values it reported
  std::int64_t step = 0;       // kPruned: the epoch it reached
  double violation = 0;        // kComplete: how far outside its constraints (0: feasible)
};

}  // namespace search
