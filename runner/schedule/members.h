#pragma once
// How a group trains what it is handed, one trial or a fused array, with every outcome turned
// into the trial's result: shared by the group roots, their members and the single process.
#include <functional>
#include <vector>

#include "cluster/group.h"
#include "runner/schedule/scheduler.h"

namespace runner {

struct Executors {
  Executor one;
  ArrayExecutor array;
};

// Trains `members` (one trial, or a fused array) on the group; `leave(k, result)` gets each
// member's result as it ends, a failed one for any exception in training, naming the rank and
// host. What `leave` itself throws (the store failing) is not a trial's failure: it propagates.
void execute_members(const std::vector<Assignment>& members, cluster::Group& group,
                     const Executors& ex, const std::vector<TrialHooks>& hooks,
                     const std::function<void(std::size_t, TrialResult)>& leave);

}  // namespace runner
