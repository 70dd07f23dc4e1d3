#pragma once
// Rank 0's scheduling loop, on its main thread: hands trials to free groups through the work
// queue, takes the groups' news for the sink, and writes off groups gone silent.
#include <vector>

#include "runner/schedule/scheduler.h"

namespace runner {

RunEnd schedule_on_rank0(cluster::MpiContext& mpi, const cluster::Layout& layout,
                         const std::vector<Assignment>& todo, Sink& sink,
                         const SchedulerOptions& options);

}  // namespace runner
