#include "models/dense.h"

#include <cmath>
#include <stdexcept>

#include "models/activations.h"
#include "models/family.h"
#include "models/shift.h"

namespace models {

torch::nn::Sequential mlp(const std::vector<std::int64_t>& widths, sweeps::Activation activation) {
  torch::nn::Sequential seq;
  for (std::size_t i = 0; i + 1 < widths.size(); ++i) {
    seq->push_back(torch::nn::Linear(widths[i], widths[i + 1]));
    if (i + 2 == widths.size()) break;
    seq->push_back(activation_layer(activation));
  }
  return seq;
}

torch::nn::Sequential make_encoder(const sweeps::ModelConfig& c, std::int64_t in,
                                   std::int64_t out) {
  if (c.encoder == sweeps::EncoderKind::kShift) {
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

MlpView mlp_view(const torch::nn::Sequential& seq, sweeps::Activation activation) {
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
  return kind_ == sweeps::ModelKind::kSparseL1 ? z.relu() : z;
}

Losses DenseAEImpl::loss(const Batch& b, const LossWeights& w) {
  auto z = encode(b.input);
  auto recon = torch::mse_loss(decode(z), b.target);
  if (kind_ == sweeps::ModelKind::kSparseL1)
    return {recon + w.lambda * z.abs().sum(1).mean(), recon};
  if (kind_ == sweeps::ModelKind::kContractive)
    return {
        recon + w.lambda * jacobian_frobenius_sq(mlp_view(encoder, activation_), b.input).mean(),
        recon};
  return {recon, recon};
}

void DenseAEImpl::add_metrics(const torch::Tensor& input, const torch::Tensor& labels,
                              const LossWeights&, Metrics& out) {
  torch::NoGradGuard no_grad;
  if (kind_ == sweeps::ModelKind::kContractive) {
    double sum = 0;
    for (std::int64_t i = 0; i < input.size(0); i += 500) {
      auto x = input.narrow(0, i, std::min<std::int64_t>(500, input.size(0) - i));
      sum += jacobian_frobenius_sq(mlp_view(encoder, activation_), x).sum().item<double>();
    }
    out.emplace_back("jacobian_fro", sum / static_cast<double>(input.size(0)));
  }
  if (kind_ == sweeps::ModelKind::kSparseL1 || kind_ == sweeps::ModelKind::kSparseBinary) {
    auto active = encode(input).gt(0);
    out.emplace_back("active_fraction", active.to(torch::kFloat64).mean().item<double>());
    out.emplace_back("dead_fraction",
                     active.any(0).logical_not().to(torch::kFloat64).mean().item<double>());
    // Active units per image, overall and per digit (document 004's "active bits per class").
    auto per_image = active.sum(1).to(torch::kFloat64);
    out.emplace_back("active_bits", per_image.mean().item<double>());
    const auto classes = labels.numel() > 0 ? labels.max().item<std::int64_t>() + 1 : 0;
    for (std::int64_t k = 0; k < classes; ++k)
      if (auto mask = labels.eq(k); mask.any().item<bool>())
        out.emplace_back("active_bits_class_" + std::to_string(k),
                         per_image.masked_select(mask).mean().item<double>());
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

namespace {

// DenseAEImpl::loss and SparseBinaryAEImpl::loss, per member.
FusedLosses dense_fused_loss(const FusedAutoencoder& f, const FusedBatch& b, const FusedWeights& w) {
  const auto& ae = f.first<DenseAEImpl>();
  const auto kind = f.config().kind;
  const auto lambda = in_model_precision(w.lambda, b.target);
  auto z = f.run(ae.encoder, b.input);
  if (kind == sweeps::ModelKind::kSparseL1) z = z.relu();
  if (kind == sweeps::ModelKind::kSparseBinary) z = straight_through_step(torch::sigmoid(z), 0.5);
  auto recon = mse_per_member(torch::sigmoid(f.run(ae.decoder, z)), b.target);
  if (kind == sweeps::ModelKind::kSparseL1)
    return {recon + lambda * z.abs().sum(-1).mean(-1), recon};
  if (kind == sweeps::ModelKind::kSparseBinary)  // active bits; abs() would stop their gradient
    return {recon + lambda * z.sum(-1).mean(-1), recon};
  return {recon, recon};
}


std::shared_ptr<AutoencoderImpl> make_dense(const sweeps::ModelConfig& c, std::int64_t input_dim,
                                            std::int64_t output_dim, std::int64_t) {
  if (c.kind == sweeps::ModelKind::kSparseBinary)
    return std::make_shared<SparseBinaryAEImpl>(c, input_dim, output_dim);
  return std::make_shared<DenseAEImpl>(c, input_dim, output_dim);
}

std::string dense_unfusable(const sweeps::ModelConfig& c) {
  if (c.kind == sweeps::ModelKind::kContractive)
    return "the contractive AE's exact Jacobian penalty is written for one model (not fused yet)";
  return unless_shift_encoder(c);
}

}  // namespace

const Family& dense_family() {
  static const Family kFamily = {{sweeps::ModelKind::kDense, sweeps::ModelKind::kSparseL1,
                                  sweeps::ModelKind::kContractive, sweeps::ModelKind::kSparseBinary},
                                 make_dense,
                                 one_stage,
                                 dense_unfusable,
                                 dense_fused_loss};
  return kFamily;
}

}  // namespace models
