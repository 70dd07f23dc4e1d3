#pragma once
// What the runner's test suites share: a tiny trial on the embedded MNIST, and metric lookups.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "data/datasets.h"
#include "runner/trial.h"

namespace testutil {

// A small dense trial on the first `train_limit` and `test_limit` embedded MNIST digits: hidden
// [64], code 16, 3 epochs of batches of 50, Adam 3e-3, on the CPU with one thread. Seconds.
inline runner::Assignment tiny_trial(const std::string& id, std::int64_t seed,
                                     std::int64_t train_limit, std::int64_t test_limit) {
  runner::Assignment a;
  a.trial_id = id;
  a.seed = seed;
  a.threads = 1;
  a.config.data.path = data::resolve_dataset("mnist", ".");
  a.config.data.train_limit = train_limit;
  a.config.data.test_limit = test_limit;
  a.config.model.hidden = {64};
  a.config.model.latent = 16;
  a.config.train.epochs = 3;
  a.config.train.batch_size = 50;
  a.config.train.lr = 3e-3;
  a.config.train.device = sweeps::Device::kCpu;
  return a;
}

// The model kind a sweep names `name`.
inline sweeps::ModelKind kind(const std::string& name) {
  auto k = sweeps::enum_from<sweeps::ModelKind>(name);
  if (!k) ADD_FAILURE() << "no model kind " << name;
  return k.value_or(sweeps::ModelKind::kDense);
}

// The metric `name`; a test failure and NaN when there is none.
inline double metric(const runner::Metrics& m, const std::string& name) {
  if (auto v = util::find_metric(m, name)) return *v;
  ADD_FAILURE() << "no metric " << name;
  return std::nan("");
}

}  // namespace testutil
