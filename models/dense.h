#pragma once
// Dense autoencoder (document 004): encoder of model.hidden widths and a linear code of
// model.latent units; the decoder mirrors it and ends in a sigmoid, as pixels lie in [0, 1].
#include "models/autoencoder.h"

namespace models {

// Builds Linear + activation layers through `widths`; the last Linear has no activation.
torch::nn::Sequential mlp(const std::vector<std::int64_t>& widths, const std::string& activation);

class DenseAEImpl : public AutoencoderImpl {
 public:
  DenseAEImpl(const sweeps::ModelConfig& config, std::int64_t input_dim);
  torch::Tensor encode(const torch::Tensor& x) override { return encoder->forward(x); }
  torch::Tensor decode(const torch::Tensor& z) override { return torch::sigmoid(decoder->forward(z)); }

  torch::nn::Sequential encoder{nullptr}, decoder{nullptr};
};
TORCH_MODULE(DenseAE);

}  // namespace models
