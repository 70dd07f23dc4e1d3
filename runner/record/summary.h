#pragma once
// The table a run ends with: the sweep's trials with their status and headline metrics.
#include <ostream>

#include "results/store.h"
#include "runner/plan.h"

namespace runner {

// One row per trial of the plan, then the counts by status.
void print_summary(results::Store& store, const Plan& plan, std::ostream& out);

}  // namespace runner
