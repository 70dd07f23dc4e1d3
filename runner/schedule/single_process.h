#pragma once
// One process: it claims, trains and records every trial itself, one trial or array after
// another.
#include <cstdint>
#include <vector>

#include "runner/schedule/members.h"

namespace runner {

RunEnd run_alone(cluster::Group& group, const std::vector<Assignment>& todo, Sink& sink,
                 const Executors& ex, std::int64_t fuse);

}  // namespace runner
