#pragma once
// The ranks that train: a group root takes work from rank 0 and passes it on to its members;
// members take it from their root; every rank of the group then trains it together, one trial or
// a fused array, and the root reports epochs, results and that it lives.
#include "runner/schedule/members.h"

namespace runner {

// Returns when rank 0 says there is no more work.
void run_group(cluster::MpiContext& mpi, cluster::Group& group, const Executors& ex);

}  // namespace runner
