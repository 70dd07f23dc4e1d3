#include "models/dense.h"

#include <cmath>
#include <stdexcept>

#include "models/activations.h"

namespace models {

torch::nn::Sequential mlp(const std::vector<std::int64_t>& widths, const std::string& activation) {
  torch::nn::Sequential seq;
  for (std::size_t i = 0; i + 1 < widths.size(); ++i) {
    seq->push_back(torch::nn::Linear(widths[i], widths[i + 1]));
    if (i + 2 == widths.size()) break;
    seq->push_back(activation_layer(activation));
  }
  return seq;
}

namespace {

// One shift layer: moves x a fixed share u of the way towards tanh(W x + b).
struct ShiftLayerImpl : torch::nn::Module {
  ShiftLayerImpl(std::int64_t width, double share) : share(share) {
    linear = register_module("linear", torch::nn::Linear(width, width));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    return x + share * (torch::tanh(linear->forward(x)) - x);
  }
  torch::nn::Linear linear{nullptr};
  double share;
};
TORCH_MODULE(ShiftLayer);

}  // namespace

torch::nn::Sequential shift_approximator(std::int64_t in, std::int64_t width, std::int64_t layers,
                                         std::int64_t out) {
  torch::nn::Sequential seq(torch::nn::Linear(in, width));
  const double share = 1 - std::pow(1.0 / 3.0, 1.0 / static_cast<double>(layers));
  for (std::int64_t i = 0; i < layers; ++i) seq->push_back(ShiftLayer(width, share));
  seq->push_back(torch::nn::Linear(width, out));
  return seq;
}

torch::nn::Sequential make_encoder(const sweeps::ModelConfig& c, std::int64_t in,
                                   std::int64_t out) {
  if (c.encoder == "shift") {
    auto seq =
        shift_approximator(in, c.hidden.empty() ? out : c.hidden.front(), c.shift_layers, out);
    seq->push_back(torch::nn::Functional(torch::sin));
    return seq;
  }
  std::vector<std::int64_t> widths = {in};
  widths.insert(widths.end(), c.hidden.begin(), c.hidden.end());
  widths.push_back(out);
  return mlp(widths, c.activation);
}

MlpView mlp_view(const torch::nn::Sequential& seq, const std::string& activation) {
  MlpView v;
  v.activation = activation;
  for (const auto& m : seq->children())
    if (auto* lin = m->as<torch::nn::Linear>()) {
      v.weights.push_back(lin->weight);
      v.biases.push_back(lin->bias);
    }
  return v;
}

DenseAEImpl::DenseAEImpl(const sweeps::ModelConfig& c, std::int64_t input_dim,
                         std::int64_t output_dim)
    : kind_(c.kind), activation_(c.activation) {
  encoder = register_module("encoder", make_encoder(c, input_dim, c.latent));
  std::vector<std::int64_t> back = {c.latent};
  back.insert(back.end(), c.hidden.rbegin(), c.hidden.rend());
  back.push_back(output_dim);
  decoder = register_module("decoder", mlp(back, c.activation));
}

torch::Tensor DenseAEImpl::encode(const torch::Tensor& x) {
  auto z = encoder->forward(x);
  return kind_ == "sparse_l1" ? z.relu() : z;
}

Losses DenseAEImpl::loss(const Batch& b, const LossWeights& w) {
  auto z = encode(b.input);
  auto recon = torch::mse_loss(decode(z), b.target);
  if (kind_ == "sparse_l1") return {recon + w.lambda * z.abs().sum(1).mean(), recon};
  if (kind_ == "contractive")
    return {
        recon + w.lambda * jacobian_frobenius_sq(mlp_view(encoder, activation_), b.input).mean(),
        recon};
  return {recon, recon};
}

void DenseAEImpl::add_metrics(const torch::Tensor& input, const torch::Tensor&, const LossWeights&,
                              Metrics& out) {
  torch::NoGradGuard no_grad;
  if (kind_ == "contractive") {
    double sum = 0;
    for (std::int64_t i = 0; i < input.size(0); i += 500) {
      auto x = input.narrow(0, i, std::min<std::int64_t>(500, input.size(0) - i));
      sum += jacobian_frobenius_sq(mlp_view(encoder, activation_), x).sum().item<double>();
    }
    out.emplace_back("jacobian_fro", sum / static_cast<double>(input.size(0)));
  }
  if (kind_ == "sparse_l1" || kind_ == "sparse_binary") {
    auto active = encode(input).gt(0);
    out.emplace_back("active_fraction", active.to(torch::kFloat64).mean().item<double>());
    out.emplace_back("dead_fraction",
                     active.any(0).logical_not().to(torch::kFloat64).mean().item<double>());
  }
}

torch::Tensor SparseBinaryAEImpl::encode(const torch::Tensor& x) {
  return straight_through_step(torch::sigmoid(encoder->forward(x)), 0.5);
}

Losses SparseBinaryAEImpl::loss(const Batch& b, const LossWeights& w) {
  auto bits = encode(b.input);
  auto recon = torch::mse_loss(decode(bits), b.target);
  return {recon + w.lambda * bits.sum(1).mean(), recon};
}

}  // namespace models
