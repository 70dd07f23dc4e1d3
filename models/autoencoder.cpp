#include "models/autoencoder.h"

#include <stdexcept>

#include "models/dense.h"

namespace models {

Losses AutoencoderImpl::loss(const torch::Tensor& input, const torch::Tensor& target) {
  auto recon = torch::mse_loss(forward(input), target);
  return {recon, recon};
}

std::shared_ptr<AutoencoderImpl> make_autoencoder(const sweeps::ModelConfig& config,
                                                  std::int64_t input_dim) {
  if (config.kind == "dense") return std::make_shared<DenseAEImpl>(config, input_dim);
  throw std::invalid_argument("unknown model.kind \"" + config.kind + "\"");
}

}  // namespace models
