// `runner plan`: the sweep's trials and the fused arrays a fresh run would form. Writes nothing.
#include <algorithm>
#include <iostream>

#include "runner/cli/commands.h"
#include "util/errors.h"

namespace runner {

namespace {

// A search's plan: its settings and parts; the trials are proposed while it runs.
void print_search(const Plan& plan) {
  const auto& spec = plan.spec;
  std::cout << "search: " << sweeps::name_of(spec.search.sampler) << ", " << spec.search.trials
            << " trials for each of " << plan.parts.size() << " part(s), the first "
            << spec.search.startup << " of each at random; objectives";
  for (const auto& o : spec.objectives)
    std::cout << " " << o.metric << " (" << sweeps::name_of(o.mode) << ")";
  for (std::size_t i = 0; i < spec.constraints.size(); ++i)
    std::cout << (i ? ", " : "; constraints ") << spec.constraints[i].text;
  std::cout << "\nspace:";
  for (const auto& d : spec.space) std::cout << " " << d.path;
  if (!spec.warm_start.empty()) {
    std::cout << "\nwarm start from:";
    for (const auto& w : spec.warm_start) std::cout << " " << w;
  }
  std::cout << "\n";
  for (const auto& part : plan.parts) {
    std::string fixed;
    for (const auto& k : plan.varying)
      if (std::none_of(spec.space.begin(), spec.space.end(),
                       [&](const auto& d) { return d.path == k; }))
        fixed += " " + k + "=" + sweeps::to_display(part.params.at(k));
    std::cout << "part " << part.config_hash << (fixed.empty() ? "  (the whole sweep)" : " ")
              << fixed << "\n";
  }
  std::cout << sweeps::count_trials(spec) << " trials at most" << std::endl;
}

}  // namespace

int cmd_plan(Args& a) {
  const Plan& plan = *a.plan;
  for (const auto& note : plan.notes) std::cout << "note: " << note << "\n";
  if (plan.spec.searching()) {
    print_search(plan);
    return util::kExitOk;
  }
  for (const auto& t : plan.trials) std::cout << t.id << "  " << describe(plan, t) << "\n";
  std::cout << plan.trials.size() << " trials" << std::endl;
  if (plan.spec.cluster.fuse > 1) print_arrays(plan, std::cout);
  return util::kExitOk;
}

}  // namespace runner
