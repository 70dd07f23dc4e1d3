#pragma once
// Variational autoencoders.
//   vae:   Gaussian encoder q(z|x) = N(mu, diag(exp(logvar))), decoder p(x|z); loss per sample
//          sum_pixels (x - x_hat)^2 + beta * KL(q(z|x) || N(0, I)), averaged over the batch.
//   icvae: the invariant conditional VAE of Moyer et al. 2018 (document 002): the decoder also
//          sees the one-hot label c, p(x|z,c), and the loss is
//          (1 + lambda) * recon + beta * KL(q(z|x) || N(0, I)) + lambda * KL^[q(z|x) || q(z)],
//          the last the pairwise estimate over the batch; mu goes through tanh as in its code.
#include "models/autoencoder.h"

namespace models {

class VaeImpl : public AutoencoderImpl {
 public:
  VaeImpl(const sweeps::ModelConfig& config, std::int64_t input_dim, std::int64_t output_dim,
          std::int64_t num_classes);
  torch::Tensor encode(const torch::Tensor& x) override { return encode_gaussian(x).first; }
  torch::Tensor reconstruct(const torch::Tensor& x, const torch::Tensor& labels) override {
    return decode(encode(x), labels);
  }
  torch::Tensor decode_code(const torch::Tensor& z, const torch::Tensor& labels) override {
    return decode(z, labels);
  }
  std::pair<torch::Tensor, torch::Tensor> reconstruct_with_kl(const torch::Tensor& x,
                                                              const torch::Tensor& labels) override;
  Losses loss(const Batch& batch, const LossWeights& weights) override;
  std::int64_t noise_dim() const override { return latent_; }
  void add_metrics(const torch::Tensor& input, const torch::Tensor& labels,
                   const LossWeights& weights, Metrics& out) override;

  std::pair<torch::Tensor, torch::Tensor> encode_gaussian(const torch::Tensor& x);  // mu, logvar
  torch::Tensor decode(const torch::Tensor& z, const torch::Tensor& labels);

  torch::nn::Sequential body{nullptr}, decoder{nullptr};
  torch::nn::Linear mean{nullptr}, logvar{nullptr};

 private:
  bool conditional_;
  std::int64_t latent_, classes_, decoder_output_;
};
TORCH_MODULE(Vae);

}  // namespace models
