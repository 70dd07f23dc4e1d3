#pragma once
// Fused arrays (HFTA, Wang et al. 2021): K models of one architecture trained as one batched
// model. Each weight gets a leading member dimension; linear layers become one batched matrix
// product (baddbmm) and convolutions one grouped convolution, so a step costs a few large
// operations instead of K times many small ones. The members' losses stay separate: member k's
// gradient is exactly the gradient of its own loss, as when it trains alone.
#include <torch/torch.h>

#include <string>
#include <vector>

#include "models/autoencoder.h"

namespace models {

// Why trials of this model cannot train in a fused array, or "" when they can.
std::string unfusable_reason(const sweeps::ModelConfig& c);

// A step's data for every member, each with its own samples, noise and corruption.
struct FusedBatch {
  torch::Tensor input;   // (K, batch, input width)
  torch::Tensor target;  // (K, batch, pixels)
  torch::Tensor labels;  // (K, batch) int64
  torch::Tensor noise;   // (K, batch, noise_dim()), or undefined
};

struct FusedWeights {
  // (K) float64: each member's LossWeights, kept in double so that terms like 1 + lambda round
  // to the model's precision as they do for a member alone.
  torch::Tensor beta, lambda;
};

struct FusedLosses {
  torch::Tensor total, recon;  // (K): each member's Losses
};

class FusedAutoencoder {
 public:
  // `first` is member 0 as built alone; `stacked` holds, for each of its parameters in order,
  // the members' values stacked (runner::FlatParameters::stacked).
  FusedAutoencoder(const sweeps::ModelConfig& c, const AutoencoderImpl& first,
                   std::vector<torch::Tensor> stacked, std::int64_t input_dim,
                   std::int64_t output_dim, std::int64_t num_classes);
  FusedLosses loss(const FusedBatch& b, const FusedWeights& w) const;

 private:
  const torch::Tensor& weight_of(const torch::Tensor& member_parameter) const;
  torch::Tensor linear(const torch::nn::LinearImpl& layer, const torch::Tensor& x) const;
  // Runs a Sequential of member 0 for all members: (K, batch, width) through linear layers,
  // (batch, K * channels, h, w) through convolutions.
  torch::Tensor run(const torch::nn::Sequential& seq, torch::Tensor x) const;
  torch::Tensor child(const std::shared_ptr<torch::nn::Module>& m, const torch::Tensor& x) const;
  FusedLosses dense_loss(const FusedBatch& b, const FusedWeights& w) const;
  FusedLosses vae_loss(const FusedBatch& b, const FusedWeights& w) const;
  FusedLosses conv_loss(const FusedBatch& b) const;
  torch::Tensor conv_encode(const torch::Tensor& x) const;
  torch::Tensor conv_decode(const torch::Tensor& z) const;

  sweeps::ModelConfig config_;
  const AutoencoderImpl& first_;
  std::vector<torch::Tensor> stacked_;
  std::vector<const void*> first_params_;  // member 0's parameters, in stacked_'s order
  std::int64_t members_, input_dim_, output_dim_, classes_;
};

}  // namespace models
