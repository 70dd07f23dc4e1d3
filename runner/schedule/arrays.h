#pragma once
// The one rule that forms fused arrays (cluster.fuse), shared by `runner plan`, which shows the
// arrays a fresh run would form, and the scheduler, which forms them as groups come free.
#include <cstdint>
#include <string>
#include <vector>

namespace runner {

// Whether a trial of `shape` may join an array begun by a trial of `first_shape` that has
// `members` members so far: the same shape, and room left under `fuse`. A shape of "" (a model
// that does not fuse: models::unfusable_reason) joins nothing and takes no one.
bool may_join(const std::string& first_shape, const std::string& shape, std::size_t members,
              std::int64_t fuse);

// The arrays of trials with these shapes, in order: each begun by the first trial not yet taken,
// joined by the next ones that may join it. Indices into `shapes`; a trial alone is an array of
// one.
std::vector<std::vector<std::size_t>> form_arrays(const std::vector<std::string>& shapes,
                                                  std::int64_t fuse);

}  // namespace runner
