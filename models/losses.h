#pragma once
// Loss terms of the autoencoder families, each a free function so that tests can check it
// against an independent computation.
#include <torch/torch.h>

#include <vector>

#include "sweeps/config.h"

namespace models {

// KL(N(mu, exp(logvar)) || N(0, I)) per sample, summed over code dimensions: shape (batch), or
// (members, batch) for the codes of a fused array (models/fused.h).
torch::Tensor kl_to_prior(const torch::Tensor& mu, const torch::Tensor& logvar);

// Moyer et al. 2018's estimate of KL[q(z|x) || q(z)] for diagonal Gaussian codes: the mean over
// all ordered pairs (i, j) of the batch of KL(q(z|x_i) || q(z|x_j)) (document 002's corrected
// `kl_conditional_and_marg`, whose log-determinant term averages to zero over pairs). Codes of
// shape (members, batch, latent) give one estimate per member.
torch::Tensor pairwise_gaussian_kl(const torch::Tensor& mu, const torch::Tensor& logvar);

// Heaviside step with a straight-through gradient (document 004): forward 1 where x >= threshold,
// else 0; backward passes the incoming gradient unchanged (pseudo-derivative 1).
torch::Tensor straight_through_step(const torch::Tensor& x, double threshold);

// An MLP's layers as the contractive penalty needs them: weights W_l (out x in) and the
// element-wise activation applied after every layer but the last.
struct MlpView {
  std::vector<torch::Tensor> weights, biases;
  sweeps::Activation activation{};
};

// Squared Frobenius norm of the encoder's Jacobian dh/dx, exactly, per sample: shape (batch).
// Computed as a product of weights and activation derivatives, from the code side down, so that
// the 784-wide input dimension enters only through W1 W1^T.
torch::Tensor jacobian_frobenius_sq(const MlpView& encoder, const torch::Tensor& x);

}  // namespace models
