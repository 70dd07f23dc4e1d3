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

// Why trials of this model cannot train in a fused array, or "" when they can (its family's
// answer: models/family.h).
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

// The batched machinery every fusing family's loss is written with (models/family.h): member 0's
// layers run for all K members with the stacked weights.
class FusedAutoencoder {
 public:
  // `first` is member 0 as built alone; `stacked` holds, for each of its parameters in order,
  // the members' values stacked (runner::FlatParameters::stacked).
  FusedAutoencoder(const sweeps::ModelConfig& c, const AutoencoderImpl& first,
                   std::vector<torch::Tensor> stacked, std::int64_t input_dim,
                   std::int64_t output_dim, std::int64_t num_classes);
  // Each member's loss, by its family.
  FusedLosses loss(const FusedBatch& b, const FusedWeights& w) const;

  // Member 0 as its family's own type.
  template <typename Model>
  const Model& first() const {
    return dynamic_cast<const Model&>(first_);
  }
  const sweeps::ModelConfig& config() const { return config_; }
  std::int64_t members() const { return members_; }
  std::int64_t input_dim() const { return input_dim_; }
  std::int64_t output_dim() const { return output_dim_; }
  std::int64_t classes() const { return classes_; }
  // A Linear layer of member 0 for all members: (K, batch, in) -> (K, batch, out).
  torch::Tensor linear(const torch::nn::LinearImpl& layer, const torch::Tensor& x) const;
  // Runs a Sequential of member 0 for all members: (K, batch, width) through linear layers,
  // (batch, K * channels, h, w) through convolutions.
  torch::Tensor run(const torch::nn::Sequential& seq, torch::Tensor x) const;

 private:
  const torch::Tensor& weight_of(const torch::Tensor& member_parameter) const;
  torch::Tensor child(const std::shared_ptr<torch::nn::Module>& m, const torch::Tensor& x) const;

  sweeps::ModelConfig config_;
  const AutoencoderImpl& first_;
  std::vector<torch::Tensor> stacked_;
  std::vector<const void*> first_params_;  // member 0's parameters, in stacked_'s order
  std::int64_t members_, input_dim_, output_dim_, classes_;
};

// (batch, K * channels, h, w) -> (K, batch, channels * h * w): a grouped convolution's layout
// as the members' flattened images; and back, for `channels` channels of side `side`.
torch::Tensor to_members(const torch::Tensor& x, std::int64_t k);
torch::Tensor to_groups(const torch::Tensor& x, std::int64_t channels, std::int64_t side);

// Mean squared error per member over its batch and pixels: (K), with the gradient
// torch::mse_loss gives each member alone, bit for bit.
torch::Tensor mse_per_member(const torch::Tensor& out, const torch::Tensor& target);

// A member's loss weight as a member alone uses it: a double rounded once to the model's type.
torch::Tensor in_model_precision(const torch::Tensor& weights, const torch::Tensor& like);

}  // namespace models
