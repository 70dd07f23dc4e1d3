#pragma once
// The autoencoder families, one row each: what the runner needs of a family besides its model
// (models/autoencoder.h). Each family's file (dense.cpp, conv.cpp, randomized.cpp, vae.cpp,
// torchscript.cpp) holds its model, its loss alone and batched for a fused array, and its row;
// families() lists them.
// A model.kind of the key table (sweeps/schema.cpp) belongs to exactly one family.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "models/autoencoder.h"
#include "models/fused.h"

namespace models {

struct Family {
  std::vector<sweeps::ModelKind> kinds;  // the model.kind values it builds
  // Its model alone, for make_autoencoder.
  std::shared_ptr<AutoencoderImpl> (*make)(const sweeps::ModelConfig& c, std::int64_t input_dim,
                                           std::int64_t output_dim, std::int64_t classes);
  // The stages it trains in, train.epochs epochs each (the randomized AE: one per layer).
  std::int64_t (*stages)(const sweeps::ModelConfig& c);
  // Why its trials cannot train in a fused array, or "" when they can.
  std::string (*unfusable_reason)(const sweeps::ModelConfig& c);
  // Each member's loss in a fused array, from the batched machinery; null when it never fuses.
  FusedLosses (*fused_loss)(const FusedAutoencoder& f, const FusedBatch& b,
                            const FusedWeights& w);
};

const Family& dense_family();
const Family& conv_family();
const Family& randomized_family();
const Family& vae_family();
const Family& torchscript_family();
const std::vector<const Family*>& families();
// Throws std::invalid_argument for a kind no family builds.
const Family& family_of(sweeps::ModelKind kind);

// Epochs a trial's series holds when it ends: train.epochs times its model's stages.
std::int64_t series_epochs(const sweeps::TrialConfig& c);

// Families built in one stage, and those that fuse unless they use the shift encoder.
std::int64_t one_stage(const sweeps::ModelConfig& c);
std::string unless_shift_encoder(const sweeps::ModelConfig& c);

}  // namespace models
