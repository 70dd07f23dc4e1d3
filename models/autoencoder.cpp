#include "models/autoencoder.h"

#include <stdexcept>

#include "models/conv.h"
#include "models/dense.h"
#include "models/randomized.h"
#include "models/vae.h"

namespace models {

Losses AutoencoderImpl::loss(const Batch& b, const LossWeights&) {
  auto recon = torch::mse_loss(reconstruct(b.input, b.labels), b.target);
  return {recon, recon};
}

std::shared_ptr<AutoencoderImpl> make_autoencoder(const sweeps::ModelConfig& config,
                                                  std::int64_t input_dim, std::int64_t output_dim,
                                                  std::int64_t num_classes) {
  const auto& k = config.kind;
  if (k == "dense" || k == "sparse_l1" || k == "contractive")
    return std::make_shared<DenseAEImpl>(config, input_dim, output_dim);
  if (k == "sparse_binary")
    return std::make_shared<SparseBinaryAEImpl>(config, input_dim, output_dim);
  if (k == "conv") return std::make_shared<ConvAEImpl>(config, input_dim, output_dim);
  if (k == "randomized") return std::make_shared<RandomizedAEImpl>(config, input_dim, output_dim);
  if (k == "vae" || k == "icvae")
    return std::make_shared<VaeImpl>(config, input_dim, output_dim, num_classes);
  throw std::invalid_argument("unknown model.kind \"" + k + "\"");
}

}  // namespace models
