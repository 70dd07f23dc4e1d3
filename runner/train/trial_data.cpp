#include "runner/train/trial_data.h"

#include <map>
#include <memory>

#include "data/datasets.h"
#include "models/corruptions.h"

namespace runner {
namespace {

struct DecodedDataset {
  SplitTensors train, test;
  std::int64_t classes = 0, rows = 0, cols = 0;
};

SplitTensors to_tensors(const data::Split& s) {
  auto x = torch::from_blob(const_cast<std::uint8_t*>(s.images.data()), {s.n, s.rows * s.cols},
                            torch::kUInt8)
               .to(torch::kFloat32)
               .div_(255.0);
  auto y = torch::from_blob(const_cast<std::uint8_t*>(s.labels.data()), {s.n}, torch::kUInt8)
               .to(torch::kInt64);
  return {x, y};
}

// A rank trains many trials on the same data: decode each dataset once per process, and copy it
// to each device once.
const DecodedDataset& decoded(const std::string& dir, const torch::Device& device) {
  static std::map<std::pair<std::string, std::string>, std::unique_ptr<DecodedDataset>> cache;
  auto& slot = cache[{dir, device.str()}];
  if (slot) return *slot;
  if (device.is_cpu()) {
    data::Dataset d = data::load_dataset(dir);
    slot = std::make_unique<DecodedDataset>(DecodedDataset{
        to_tensors(d.train), to_tensors(d.test), d.num_classes, d.train.rows, d.train.cols});
  } else {
    slot = std::make_unique<DecodedDataset>(decoded(dir, torch::kCPU));
    for (SplitTensors* s : {&slot->train, &slot->test}) *s = {s->x.to(device), s->y.to(device)};
  }
  return *slot;
}

// The first `limit` samples of a split (all of them when limit is 0).
SplitTensors first(const SplitTensors& s, std::int64_t limit) {
  if (limit <= 0 || limit >= s.x.size(0)) return s;
  return {s.x.narrow(0, 0, limit), s.y.narrow(0, 0, limit)};
}

}  // namespace

TrialData load_trial_data(const sweeps::TrialConfig& c, const torch::Device& device) {
  const DecodedDataset& all = decoded(c.data.path, device);
  TrialData d;
  d.train = first(all.train, c.data.train_limit);
  d.test = first(all.test, c.data.test_limit);
  d.train_input = models::clean_input(c.corruption, d.train.x);
  d.test_input = models::clean_input(c.corruption, d.test.x);
  d.rows = all.rows;
  d.cols = all.cols;
  d.classes = all.classes;
  return d;
}

}  // namespace runner
