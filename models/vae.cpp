#include "models/vae.h"

#include "models/activations.h"
#include "models/dense.h"
#include "models/family.h"
#include "models/losses.h"

namespace models {

VaeImpl::VaeImpl(const sweeps::ModelConfig& c, std::int64_t input_dim, std::int64_t output_dim,
                 std::int64_t num_classes)
    : conditional_(c.kind == sweeps::ModelKind::kIcvae),
      latent_(c.latent),
      classes_(num_classes),
      decoder_output_(output_dim) {
  // The body is the encoder up to its last hidden layer, activated; the two heads make the code.
  const std::int64_t h = c.hidden.empty() ? input_dim : c.hidden.back();
  torch::nn::Sequential seq;
  if (!c.hidden.empty()) {
    sweeps::ModelConfig trunk = c;
    trunk.hidden.pop_back();
    seq = make_encoder(trunk, input_dim, h);
    if (c.encoder == sweeps::EncoderKind::kMlp) seq->push_back(activation_layer(c.activation));
  }
  body = register_module("body", seq);
  mean = register_module("mean", torch::nn::Linear(h, c.latent));
  logvar = register_module("logvar", torch::nn::Linear(h, c.latent));
  std::vector<std::int64_t> back = {c.latent + (conditional_ ? num_classes : 0)};
  back.insert(back.end(), c.hidden.rbegin(), c.hidden.rend());
  back.push_back(output_dim);
  decoder = register_module("decoder", mlp(back, c.activation));
}

std::pair<torch::Tensor, torch::Tensor> VaeImpl::encode_gaussian(const torch::Tensor& x) {
  auto h = body->is_empty() ? x : body->forward(x);
  auto mu = mean->forward(h);
  if (conditional_) mu = mu.tanh();
  return {mu, logvar->forward(h)};
}

torch::Tensor VaeImpl::decode(const torch::Tensor& z, const torch::Tensor& labels) {
  auto in =
      conditional_ ? torch::cat({z, torch::one_hot(labels, classes_).to(z.scalar_type())}, 1) : z;
  return torch::sigmoid(decoder->forward(in));
}

std::pair<torch::Tensor, torch::Tensor> VaeImpl::reconstruct_with_kl(const torch::Tensor& x,
                                                                     const torch::Tensor& labels) {
  auto [mu, lv] = encode_gaussian(x);
  return {decode(mu, labels), kl_to_prior(mu, lv)};
}

Losses VaeImpl::loss(const Batch& b, const LossWeights& w) {
  auto [mu, lv] = encode_gaussian(b.input);
  auto z = mu + (0.5 * lv).exp() * b.noise;
  auto recon_sum = (decode(z, b.labels) - b.target).pow(2).sum(1);
  auto kl = kl_to_prior(mu, lv);
  auto recon = recon_sum.mean() / static_cast<double>(b.target.size(1));
  if (!conditional_) return {(recon_sum + w.beta * kl).mean(), recon};
  auto total =
      ((1 + w.lambda) * recon_sum + w.beta * kl).mean() + w.lambda * pairwise_gaussian_kl(mu, lv);
  return {total, recon};
}

void VaeImpl::add_metrics(const torch::Tensor& input, const torch::Tensor& labels,
                          const LossWeights&, Metrics& out) {
  torch::NoGradGuard no_grad;
  constexpr std::int64_t kChunk = 500;  // the pairwise estimate is a (chunk x chunk) matrix
  double kl = 0, recon = 0, pairwise = 0;
  std::int64_t chunks = 0;
  for (std::int64_t i = 0; i < input.size(0); i += kChunk, ++chunks) {
    const std::int64_t n = std::min(kChunk, input.size(0) - i);
    auto x = input.narrow(0, i, n);
    auto [mu, lv] = encode_gaussian(x);
    kl += kl_to_prior(mu, lv).sum().item<double>();
    auto target = x.narrow(1, 0, decoder_output_);  // the image part, when the mask rides along
    recon += (decode(mu, labels.narrow(0, i, n)) - target).pow(2).sum().item<double>();
    pairwise += pairwise_gaussian_kl(mu, lv).item<double>();
  }
  const double n = static_cast<double>(input.size(0));
  out.emplace_back("kl_prior", kl / n);
  // Evidence lower bound per sample with a unit-variance Gaussian decoder, constants dropped.
  out.emplace_back("elbo", -(recon + kl) / n);
  out.emplace_back("compression_kl", pairwise / static_cast<double>(chunks));
  // Moyer et al.'s bound on I(z; c): reconstruction plus compression terms (constants dropped).
  out.emplace_back("mi_bound", recon / n + pairwise / static_cast<double>(chunks));
}

namespace {

// VaeImpl::loss, per member.
FusedLosses vae_fused_loss(const FusedAutoencoder& f, const FusedBatch& b, const FusedWeights& w) {
  const auto& vae = f.first<VaeImpl>();
  auto h = vae.body->is_empty() ? b.input : f.run(vae.body, b.input);
  auto mu = f.linear(*vae.mean, h);
  const bool conditional = f.config().kind == sweeps::ModelKind::kIcvae;
  if (conditional) mu = mu.tanh();
  auto lv = f.linear(*vae.logvar, h);
  auto z = mu + (0.5 * lv).exp() * b.noise;
  if (conditional) z = torch::cat({z, torch::one_hot(b.labels, f.classes()).to(z.scalar_type())}, -1);
  auto recon_sum = (torch::sigmoid(f.run(vae.decoder, z)) - b.target).pow(2).sum(-1);  // (K, B)
  auto kl = kl_to_prior(mu, lv);
  auto recon = recon_sum.mean(-1) / static_cast<double>(b.target.size(-1));
  auto beta = in_model_precision(w.beta, kl).unsqueeze(1);
  if (!conditional) return {(recon_sum + beta * kl).mean(-1), recon};
  auto total =
      (in_model_precision(1 + w.lambda, kl).unsqueeze(1) * recon_sum + beta * kl).mean(-1) +
      in_model_precision(w.lambda, kl) * pairwise_gaussian_kl(mu, lv);
  return {total, recon};
}


std::shared_ptr<AutoencoderImpl> make_vae(const sweeps::ModelConfig& c, std::int64_t input_dim,
                                          std::int64_t output_dim, std::int64_t classes) {
  return std::make_shared<VaeImpl>(c, input_dim, output_dim, classes);
}

}  // namespace

const Family& vae_family() {
  static const Family kFamily = {{sweeps::ModelKind::kVae, sweeps::ModelKind::kIcvae}, make_vae,
                                 one_stage, unless_shift_encoder, vae_fused_loss};
  return kFamily;
}

}  // namespace models
