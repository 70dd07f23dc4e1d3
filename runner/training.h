#pragma once
// Training and evaluation of one trial on this rank.
#include <cstdint>
#include <functional>
#include <string>

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
};

using EpochCallback = std::function<void(std::int64_t epoch, const Metrics& values)>;

// Trains the trial and returns its final metrics; reports each epoch's series through on_epoch.
// Throws on failure (NaN loss, bad data, out of memory) with a message saying where.
Metrics train_trial(const Assignment& a, const EpochCallback& on_epoch);

}  // namespace runner
