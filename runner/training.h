#pragma once
#include <torch/torch.h>

// Training and evaluation of one trial on this rank.
#include <cstdint>
#include <functional>
#include <string>

#include "cluster/group.h"
#include "results/store.h"
#include "sweeps/config.h"

namespace runner {

using results::Metrics;

// What a rank needs to train a trial; sent from rank 0 to the rank that trains it.
struct Assignment {
  std::string trial_id;
  std::int64_t seed = 0;
  sweeps::TrialConfig config;
  std::int64_t threads = 0;  // LibTorch intra-op threads; 0: decide from the node
  double collective_timeout_s = 600;
};

using EpochCallback = std::function<void(std::int64_t epoch, const Metrics& values)>;

// Pictures of a trial, as (kind, PNG bytes): see runner/pictures.h.
using Artifacts = std::vector<std::pair<std::string, std::string>>;

struct TrialOutput {
  Metrics metrics;  // final metrics
  Artifacts artifacts;
};

// Trains the trial on every rank of `group` in data parallel: each rank takes its shard of every
// global batch, and gradients are summed over the group each step. Returns the final metrics and
// reports each epoch's series through on_epoch, both on the group root only (other ranks return
// nothing). The root also draws the trial's pictures. Throws on failure (NaN loss, bad data, out of
// memory) with a message saying where; an error on any rank fails the trial on every rank of the
// group. `final_parameters`, if given, receives the trained weights as one flat tensor (for
// checks).
TrialOutput train_trial(const Assignment& a, cluster::Group& group, const EpochCallback& on_epoch,
                        torch::Tensor* final_parameters = nullptr);

}  // namespace runner
