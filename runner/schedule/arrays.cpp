#include "runner/schedule/arrays.h"

namespace runner {

bool may_join(const std::string& first_shape, const std::string& shape, std::size_t members,
              std::int64_t fuse) {
  return !first_shape.empty() && shape == first_shape && members < static_cast<std::size_t>(fuse);
}

std::vector<std::vector<std::size_t>> form_arrays(const std::vector<std::string>& shapes,
                                                  std::int64_t fuse) {
  std::vector<char> taken(shapes.size(), 0);
  std::vector<std::vector<std::size_t>> arrays;
  for (std::size_t i = 0; i < shapes.size(); ++i) {
    if (taken[i]) continue;
    arrays.push_back({i});
    for (std::size_t j = i + 1; j < shapes.size(); ++j)
      if (!taken[j] && may_join(shapes[i], shapes[j], arrays.back().size(), fuse)) {
        taken[j] = 1;
        arrays.back().push_back(j);
      }
  }
  return arrays;
}

}  // namespace runner
