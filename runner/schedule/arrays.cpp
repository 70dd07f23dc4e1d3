#include "runner/schedule/arrays.h"

#include <algorithm>

namespace runner {

bool may_join(const std::string& first_shape, const std::string& shape, std::size_t members,
              std::int64_t fuse) {
  return !first_shape.empty() && shape == first_shape && members < static_cast<std::size_t>(fuse);
}

std::int64_t cpu_array_limit(std::int64_t member_bytes, std::int64_t cache_bytes) {
  if (cache_bytes <= 0 || member_bytes <= 0) return 0;
  return std::max<std::int64_t>(1, cache_bytes / 4 / member_bytes);
}

std::int64_t fuse_within(std::int64_t fuse, std::int64_t limit) {
  return limit > 0 ? std::min(fuse, limit) : fuse;
}

std::vector<std::vector<std::size_t>> form_arrays(const std::vector<std::string>& shapes,
                                                  const std::vector<std::int64_t>& limits,
                                                  std::int64_t fuse) {
  std::vector<char> taken(shapes.size(), 0);
  std::vector<std::vector<std::size_t>> arrays;
  for (std::size_t i = 0; i < shapes.size(); ++i) {
    if (taken[i]) continue;
    arrays.push_back({i});
    const std::int64_t room = fuse_within(fuse, i < limits.size() ? limits[i] : 0);
    for (std::size_t j = i + 1; j < shapes.size(); ++j)
      if (!taken[j] && may_join(shapes[i], shapes[j], arrays.back().size(), room)) {
        taken[j] = 1;
        arrays.back().push_back(j);
      }
  }
  return arrays;
}

}  // namespace runner
