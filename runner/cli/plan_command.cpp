// `runner plan`: the sweep's trials and the fused arrays a fresh run would form. Writes nothing.
#include <iostream>

#include "runner/cli/commands.h"
#include "util/errors.h"

namespace runner {

int cmd_plan(Args& a) {
  const Plan& plan = *a.plan;
  for (const auto& t : plan.trials) std::cout << t.id << "  " << describe(plan, t) << "\n";
  std::cout << plan.trials.size() << " trials" << std::endl;
  if (plan.spec.cluster.fuse > 1) print_arrays(plan, std::cout);
  return util::kExitOk;
}

}  // namespace runner
