#include "cluster/data_parallel.h"

#include <algorithm>

namespace cluster {

std::pair<std::int64_t, std::int64_t> shard(std::int64_t batch, int rank, int size) {
  const std::int64_t base = batch / size, extra = batch % size;
  const std::int64_t begin = rank * base + std::min<std::int64_t>(rank, extra);
  return {begin, begin + base + (rank < extra ? 1 : 0)};
}

}  // namespace cluster
