#pragma once
// The one shuffle: Fisher-Yates on std::mt19937_64, whose output the C++ standard fixes. Neither
// std::shuffle nor torch::randperm promises the same order on every platform and library version,
// and batch orders, dataset splits and checkpoints resumed elsewhere depend on it.
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

namespace util {

template <typename T>
void shuffle(std::vector<T>& v, std::mt19937_64& rng) {
  for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[rng() % i]);
}

// 0 .. n-1 in shuffled order.
inline std::vector<std::int64_t> permutation(std::int64_t n, std::mt19937_64& rng) {
  std::vector<std::int64_t> p(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) p[static_cast<std::size_t>(i)] = i;
  shuffle(p, rng);
  return p;
}

}  // namespace util
