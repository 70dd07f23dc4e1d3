#pragma once
// A validated sweep and its trials, ready to run: everything `runner plan` and `runner run` check
// before anything is written.
#include <string>
#include <vector>

#include "results/store.h"
#include "sweeps/spec.h"

namespace runner {

struct Plan {
  sweeps::SweepSpec spec;
  std::vector<sweeps::Trial> trials;
  std::vector<sweeps::TrialConfig> configs;  // one per trial, dataset paths resolved
  std::vector<std::string> varying;          // keys that differ between trials
};

// Throws sweeps::InputError for anything wrong in the file, the overrides or the datasets named.
Plan make_plan(const std::string& sweep_path, const std::vector<std::string>& overrides);

// The plan's trials as the store records them.
std::vector<results::TrialRow> trial_rows(const Plan& plan);

// "model.latent=8 train.lr=0.001 repeat=1": what sets a trial apart from the others.
std::string describe(const Plan& plan, const sweeps::Trial& trial);

}  // namespace runner
