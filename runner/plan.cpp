#include "runner/plan.h"

#include <map>

#include "data/datasets.h"

namespace runner {

Plan make_plan(const std::string& sweep_path, const std::vector<std::string>& overrides) {
  Plan plan;
  plan.spec = sweeps::load_sweep(sweep_path, overrides);
  plan.trials = sweeps::expand(plan.spec);
  plan.varying = sweeps::varying_keys(plan.trials);
  std::map<std::string, std::string> resolved;  // dataset as written -> directory
  for (const auto& t : plan.trials) {
    auto c = sweeps::trial_config_from(t.params);
    auto it = resolved.find(c.data.dataset);
    if (it == resolved.end()) {
      try {
        it = resolved
                 .emplace(c.data.dataset,
                          data::resolve_dataset(c.data.dataset, plan.spec.dataset_dir))
                 .first;
      } catch (const data::DataError& e) {
        throw sweeps::InputError(plan.spec.source_of("data.dataset"), "data.dataset", e.what());
      }
    }
    c.data.path = it->second;
    plan.configs.push_back(std::move(c));
  }
  return plan;
}

std::vector<results::TrialRow> trial_rows(const Plan& plan) {
  std::vector<results::TrialRow> rows;
  for (const auto& t : plan.trials)
    rows.push_back({t.id, t.config_json, t.config_hash, t.repeat, t.seed});
  return rows;
}

std::string describe(const Plan& plan, const sweeps::Trial& trial) {
  std::string out;
  for (const auto& k : plan.varying)
    out += (out.empty() ? "" : " ") + k + "=" + sweeps::to_display(trial.params.at(k));
  if (plan.spec.repeats > 1)
    out += (out.empty() ? "" : " ") + std::string("repeat=") + std::to_string(trial.repeat);
  return out;
}

}  // namespace runner
