#include "runner/trial_data.h"

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

const DecodedDataset& decoded(const std::string& dir) {
  static std::map<std::string, std::unique_ptr<DecodedDataset>> cache;
  auto& slot = cache[dir];
  if (!slot) {
    data::Dataset d = data::load_dataset(dir);
    slot = std::make_unique<DecodedDataset>(DecodedDataset{
        to_tensors(d.train), to_tensors(d.test), d.num_classes, d.train.rows, d.train.cols});
  }
  return *slot;
}

// The first `limit` samples of a split (all of them when limit is 0), on `device`.
SplitTensors first_on(const SplitTensors& s, std::int64_t limit, const torch::Device& device) {
  if (limit <= 0 || limit >= s.x.size(0)) return {s.x.to(device), s.y.to(device)};
  return {s.x.narrow(0, 0, limit).to(device), s.y.narrow(0, 0, limit).to(device)};
}

}  // namespace

TrialData load_trial_data(const sweeps::TrialConfig& c, const torch::Device& device) {
  const DecodedDataset& all = decoded(c.data.path);
  TrialData d;
  d.train = first_on(all.train, c.data.train_limit, device);
  d.test = first_on(all.test, c.data.test_limit, device);
  auto clean_input = [&](const torch::Tensor& x) {
    return models::network_input(c.corruption, {x, torch::ones_like(x)});
  };
  d.train_input = clean_input(d.train.x);
  d.test_input = clean_input(d.test.x);
  d.rows = all.rows;
  d.cols = all.cols;
  d.classes = all.classes;
  return d;
}

}  // namespace runner
