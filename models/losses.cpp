#include "models/losses.h"

#include <stdexcept>

#include "models/activations.h"

namespace models {

torch::Tensor kl_to_prior(const torch::Tensor& mu, const torch::Tensor& logvar) {
  return -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(-1);
}

torch::Tensor pairwise_gaussian_kl(const torch::Tensor& mu, const torch::Tensor& logvar) {
  // KL(N_i || N_j) = 1/2 sum_k [ s_i/s_j + (mu_i - mu_j)^2 / s_j + log s_j - log s_i - 1 ],
  // s = variance. Expanded so every term is a (B x B) matrix product, as in document 002.
  auto var = logvar.exp() + 1e-8;
  auto inv = var.reciprocal();
  auto inv_t = inv.transpose(-1, -2);
  auto trace = var.matmul(inv_t);  // sum_k s_ik / s_jk
  auto sq = (mu * mu).matmul(inv_t) -
            2 * mu.matmul((mu * inv).transpose(-1, -2))  // sum_k (mu_i - mu_j)^2 / s_j
            + (mu * mu * inv).sum(-1).unsqueeze(-2);
  auto logdet = var.log().sum(-1);
  auto logs = logdet.unsqueeze(-2) - logdet.unsqueeze(-1);  // log det S_j - log det S_i
  const double k = static_cast<double>(mu.size(-1));
  return (0.5 * (trace + sq + logs - k)).mean({-2, -1});
}

torch::Tensor straight_through_step(const torch::Tensor& x, double threshold) {
  auto hard = x.ge(threshold).to(x.scalar_type());
  return x + (hard - x).detach();
}

torch::Tensor jacobian_frobenius_sq(const MlpView& enc, const torch::Tensor& x) {
  const std::size_t layers = enc.weights.size();
  if (layers == 1) return enc.weights[0].pow(2).sum().expand({x.size(0)});  // a linear encoder
  // Forward pass, keeping the activation derivative of each hidden layer: d_l, shape (B, h_l).
  std::vector<torch::Tensor> derivs;
  auto h = x;
  for (std::size_t l = 0; l + 1 < layers; ++l) {
    auto z = torch::addmm(enc.biases[l], h, enc.weights[l].t());
    derivs.push_back(activation_derivative(enc.activation, z));
    h = activate(enc.activation, z);
  }
  // J = W_L D_{L-1} W_{L-1} ... D_1 W_1. From the code side: M = W_L, then M <- (M * d_l) W_l.
  auto m = enc.weights[layers - 1].unsqueeze(0).expand({x.size(0), -1, -1});  // (B, latent, h)
  for (std::size_t l = layers - 1; l >= 1; --l) {
    m = m * derivs[l - 1].unsqueeze(1);
    if (l == 1) break;
    m = m.matmul(enc.weights[l - 1]);
  }
  // ||M W_1||_F^2 = sum((M G) * M) with G = W_1 W_1^T: the input width never appears per sample.
  auto g = enc.weights[0].matmul(enc.weights[0].t());
  return (m.matmul(g) * m).sum({1, 2});
}

}  // namespace models
