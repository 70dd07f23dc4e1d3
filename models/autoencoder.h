#pragma once
// The interface every autoencoder family implements, and the factory that builds one from its
// config. Inputs are flattened images in [0, 1], shape (batch, input_dim).
#include <torch/torch.h>

#include <memory>

#include "sweeps/config.h"

namespace models {

struct Losses {
  torch::Tensor total;  // what the optimizer minimises
  torch::Tensor recon;  // mean squared error per pixel
};

class AutoencoderImpl : public torch::nn::Module {
 public:
  virtual torch::Tensor encode(const torch::Tensor& x) = 0;
  virtual torch::Tensor decode(const torch::Tensor& z) = 0;
  torch::Tensor forward(const torch::Tensor& x) { return decode(encode(x)); }
  // Training objective for reconstructing `target` from `input`.
  virtual Losses loss(const torch::Tensor& input, const torch::Tensor& target);
};

std::shared_ptr<AutoencoderImpl> make_autoencoder(const sweeps::ModelConfig& config,
                                                  std::int64_t input_dim);

}  // namespace models
