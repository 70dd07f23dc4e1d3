#pragma once
// The deep randomized autoencoder of document 001, built layer by layer through widths
// input, model.hidden..., model.latent. For layer l, a shallow AE maps the previous layer's
// representation a_{l-1} to d_l with a randomly initialised, fixed encoder, and only its decoder
// W_d is trained to reconstruct a_{l-1}; W_d becomes layer l of the deep decoder and its transpose
// layer l of the deep encoder, whose output a_l feeds the next layer's shallow AE. Each layer is
// one training stage of train.epochs epochs; nothing is fine-tuned end to end afterwards.
#include "models/autoencoder.h"

namespace models {

class RandomizedAEImpl : public AutoencoderImpl {
 public:
  RandomizedAEImpl(const sweeps::ModelConfig& config, std::int64_t input_dim,
                   std::int64_t output_dim);
  torch::Tensor encode(const torch::Tensor& x) override { return encode_through(x, built_); }
  torch::Tensor reconstruct(const torch::Tensor& x, const torch::Tensor&) override;
  torch::Tensor decode_code(const torch::Tensor& code, const torch::Tensor&) override {
    return decode_from(code, std::max<std::int64_t>(built_, 1));
  }
  Losses loss(const Batch& batch, const LossWeights& weights) override;
  std::int64_t stages() const override { return static_cast<std::int64_t>(decoders_.size()); }
  void begin_stage(std::int64_t stage) override { stage_ = stage; }
  void end_stage(std::int64_t stage) override;

 private:
  // The deep encoder's first `layers` layers; the code layer (last) has no activation.
  torch::Tensor encode_through(const torch::Tensor& x, std::int64_t layers);
  // The deep decoder's first `layers` layers, from the top one down.
  torch::Tensor decode_from(torch::Tensor a, std::int64_t layers);
  torch::Tensor act(const torch::Tensor& z) const;

  std::vector<torch::nn::Linear> encoders_, decoders_,
      random_;  // deep encoder, deep decoder, fixed shallow encoders
  sweeps::Activation activation_;
  std::int64_t stage_ = 0, built_ = 0;  // stage being trained; layers of the deep AE finished
};

}  // namespace models
