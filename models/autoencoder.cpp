#include "models/autoencoder.h"

#include <stdexcept>

#include "models/family.h"

namespace models {

Losses AutoencoderImpl::loss(const Batch& b, const LossWeights&) {
  auto recon = torch::mse_loss(reconstruct(b.input, b.labels), b.target);
  return {recon, recon};
}

std::shared_ptr<AutoencoderImpl> make_autoencoder(const sweeps::ModelConfig& config,
                                                  std::int64_t input_dim, std::int64_t output_dim,
                                                  std::int64_t num_classes) {
  return family_of(config.kind).make(config, input_dim, output_dim, num_classes);
}

}  // namespace models
