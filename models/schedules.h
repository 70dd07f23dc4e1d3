#pragma once
// KL annealing: the factor that multiplies loss.beta at each epoch, and the loss weights of an
// epoch that follow from it.
#include <cstdint>

#include "sweeps/config.h"

namespace models {

// The factor in [0, 1] for epoch `epoch` (0-based) of `epochs`. Cyclical: the run is split into M
// cycles; with tau the position within the cycle in [0, 1), the factor rises over tau < R from 0
// following the shape, then stays 1. Monotone is one cycle over the whole run. Constant is 1.
double kl_factor(const sweeps::KlConfig& s, std::int64_t epoch, std::int64_t epochs);

struct LossWeights {
  double beta = 1;    // loss.beta times the KL annealing factor of the epoch
  double lambda = 0;  // loss.lambda
};

// The weights of epoch `epoch` (1-based, train.epochs in all) of a trial: what training uses in
// that epoch, and its evaluation after the last. loss.beta_schedule, when set, gives loss.beta.
LossWeights epoch_weights(const sweeps::TrialConfig& c, std::int64_t epoch);
// The learning rate of epoch `epoch`: train.lr, or train.lr_schedule's when set.
double epoch_lr(const sweeps::TrialConfig& c, std::int64_t epoch);

}  // namespace models
