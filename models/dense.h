#pragma once
// Dense autoencoders (documents 001, 003, 004): an encoder of model.hidden widths down to a code
// of model.latent units, a mirrored decoder ending in a sigmoid (pixels lie in [0, 1]).
//   dense:       linear code, MSE.
//   sparse_l1:   ReLU code, MSE + loss.lambda * sum_k |z_k| (mean over the batch).
//   contractive: linear code, MSE + loss.lambda * ||dz/dx||_F^2, exactly (losses.h).
#include "models/autoencoder.h"
#include "models/losses.h"

namespace models {

// Linear + activation layers through `widths`; the last Linear has no activation.
torch::nn::Sequential mlp(const std::vector<std::int64_t>& widths, sweeps::Activation activation);

// The encoder of model.encoder: "mlp" through model.hidden, or "shift" (document 000: the shift
// approximator of width model.hidden[0] and depth model.shift_layers, with a sin code).
torch::nn::Sequential make_encoder(const sweeps::ModelConfig& c, std::int64_t in, std::int64_t out);

// The Linear layers of an mlp(), for the contractive penalty.
MlpView mlp_view(const torch::nn::Sequential& seq, sweeps::Activation activation);

class DenseAEImpl : public AutoencoderImpl {
 public:
  DenseAEImpl(const sweeps::ModelConfig& config, std::int64_t input_dim, std::int64_t output_dim);
  torch::Tensor encode(const torch::Tensor& x) override;
  torch::Tensor decode(const torch::Tensor& z) { return torch::sigmoid(decoder->forward(z)); }
  torch::Tensor reconstruct(const torch::Tensor& x, const torch::Tensor&) override {
    return decode(encode(x));
  }
  torch::Tensor decode_code(const torch::Tensor& z, const torch::Tensor&) override {
    return decode(z);
  }
  Losses loss(const Batch& batch, const LossWeights& weights) override;
  void add_metrics(const torch::Tensor& input, const torch::Tensor& labels,
                   const LossWeights& weights, Metrics& out) override;

  torch::nn::Sequential encoder{nullptr}, decoder{nullptr};

 private:
  sweeps::ModelKind kind_;
  sweeps::Activation activation_;
};
TORCH_MODULE(DenseAE);

// Sparse binary codes (document 004): sigmoid code units feed Heaviside units (threshold 1/2)
// with a straight-through gradient; loss MSE + loss.lambda * (active bits per sample).
class SparseBinaryAEImpl : public DenseAEImpl {
 public:
  using DenseAEImpl::DenseAEImpl;
  torch::Tensor encode(const torch::Tensor& x) override;
  Losses loss(const Batch& batch, const LossWeights& weights) override;
};

}  // namespace models
