#pragma once
// How a group of ranks splits the work of one trial.
#include <cstdint>
#include <utility>

namespace cluster {

// The share [begin, end) of a global batch of `batch` samples that group rank `rank` of `size`
// trains on: contiguous, disjoint, covering the batch, sizes differing by at most one. Each rank
// weights its loss by its share, so that the group's summed gradient is the global batch's.
std::pair<std::int64_t, std::int64_t> shard(std::int64_t batch, int rank, int size);

}  // namespace cluster
