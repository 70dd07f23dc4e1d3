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
// joined by the next ones that may join it, up to cluster.fuse and the first's limit (`limits`,
// one per trial: cpu_array_limit, 0 for none). Indices into `shapes`; a trial alone is an array
// of one.
std::vector<std::vector<std::size_t>> form_arrays(const std::vector<std::string>& shapes,
                                                  const std::vector<std::int64_t>& limits,
                                                  std::int64_t fuse);

// On a CPU, the most members of `member_bytes` each (their values, gradients and Adam's two
// moments) an array may hold: as many as fit a quarter of a last-level cache of `cache_bytes`
// (the rest is left to the step's activations), at least 1; 0 (no limit) when the cache size is
// unknown. Beyond it, the members evict each other's weights between the forward and backward
// passes, and a larger array trains slower than a smaller one (README, "Fused arrays").
std::int64_t cpu_array_limit(std::int64_t member_bytes, std::int64_t cache_bytes);

// cluster.fuse under a shape's limit (0: none).
std::int64_t fuse_within(std::int64_t fuse, std::int64_t limit);

}  // namespace runner
