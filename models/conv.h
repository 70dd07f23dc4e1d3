#pragma once
// Convolutional autoencoder (documents 001, 003): per stage a 3x3 convolution with ReLU that keeps
// the area while the filters grow (model.channels), then 2x2 max pooling; a fully connected code
// of model.latent in the middle; transposed convolutions with shrinking filters back to the image,
// ending in a sigmoid. Images are square; with corruption.mask_input the mask is a second channel.
#include "models/autoencoder.h"

namespace models {

class ConvAEImpl : public AutoencoderImpl {
 public:
  ConvAEImpl(const sweeps::ModelConfig& config, std::int64_t input_dim, std::int64_t output_dim);
  torch::Tensor encode(const torch::Tensor& x) override;
  torch::Tensor decode(const torch::Tensor& z);
  torch::Tensor reconstruct(const torch::Tensor& x, const torch::Tensor&) override {
    return decode(encode(x));
  }
  torch::Tensor decode_code(const torch::Tensor& z, const torch::Tensor&) override {
    return decode(z);
  }

  torch::nn::Sequential features{nullptr}, upsample{nullptr};
  torch::nn::Linear to_code{nullptr}, from_code{nullptr};

 private:
  std::int64_t side_, in_channels_, last_channels_, small_side_;
};
TORCH_MODULE(ConvAE);

}  // namespace models
