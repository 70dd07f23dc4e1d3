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
  using K = sweeps::ModelKind;
  switch (config.kind) {
    case K::kDense:
    case K::kSparseL1:
    case K::kContractive:
      return std::make_shared<DenseAEImpl>(config, input_dim, output_dim);
    case K::kSparseBinary:
      return std::make_shared<SparseBinaryAEImpl>(config, input_dim, output_dim);
    case K::kConv:
      return std::make_shared<ConvAEImpl>(config, input_dim, output_dim);
    case K::kRandomized:
      return std::make_shared<RandomizedAEImpl>(config, input_dim, output_dim);
    case K::kVae:
    case K::kIcvae:
      return std::make_shared<VaeImpl>(config, input_dim, output_dim, num_classes);
  }
  throw std::invalid_argument("unknown model.kind");
}

}  // namespace models
