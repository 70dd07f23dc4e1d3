#pragma once
// A validated sweep and its trials, ready to run: everything `runner plan` and `runner run` check
// before anything is written.
#include <map>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "results/store.h"
#include "runner/trial.h"
#include "sweeps/spec.h"

namespace runner {

struct Plan {
  sweeps::SweepSpec spec;
  std::vector<sweeps::Trial> trials;
  std::vector<sweeps::TrialConfig> configs;  // one per trial, dataset paths resolved
  std::vector<std::string> varying;          // keys that differ between trials
  // One per trial: what it may fuse with (Assignment::shape), "" when its model does not fuse.
  std::vector<std::string> shapes;
  // With [sweep.search]: the fixed parts searched (sweeps::expand), and the trials proposed so
  // far are the plan's trials (rank 0 adds them as they are proposed: add_trial).
  std::vector<sweeps::Trial> parts;
  std::map<std::string, std::string> datasets;  // as written -> the directory it resolved to
  std::vector<std::int64_t> fuse_limits;        // one per trial: Assignment::fuse_limit
  std::map<std::string, std::int64_t> shape_limits;  // the same, once per shape
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> dataset_dims;  // pixels, classes
  std::set<std::string> checked_modules;        // module files checked, with how they are fed
  std::set<std::string> notes;                  // for the user, once each (rank 0 prints them)
};

// Adds a trial to the plan, its dataset resolved; returns its index. Throws sweeps::InputError
// when the dataset cannot be found.
std::size_t add_trial(Plan& plan, sweeps::Trial trial);

// Throws sweeps::InputError for anything wrong in the file, the overrides or the datasets named.
Plan make_plan(const std::string& sweep_path, const std::vector<std::string>& overrides);

// The plan's trials as the store records them.
std::vector<results::TrialRow> trial_rows(const Plan& plan);

// What rank 0 hands out for trial `i` of the plan (its checkpoint aside: the store has it).
Assignment assignment_of(const Plan& plan, std::size_t i);

// The fused arrays a fresh run would form with cluster.fuse (runner/schedule/arrays.h): indices
// into plan.trials, in the order they would be handed out; a trial that trains alone is an array
// of one. Trials resuming from checkpoints may group otherwise.
std::vector<std::vector<std::size_t>> plan_arrays(const Plan& plan);

// Prints plan_arrays: each array's trials, and why each trial alone is alone.
void print_arrays(const Plan& plan, std::ostream& out);

// "model.latent=8 train.lr=0.001 repeat=1": what sets a trial apart from the others.
std::string describe(const Plan& plan, const sweeps::Trial& trial);

}  // namespace runner
