#include "models/randomized.h"

#include <stdexcept>

#include "models/activations.h"
#include "models/family.h"

namespace models {

RandomizedAEImpl::RandomizedAEImpl(const sweeps::ModelConfig& c, std::int64_t input_dim,
                                   std::int64_t output_dim)
    : activation_(c.activation) {
  if (input_dim != output_dim)
    throw std::invalid_argument("model.kind = \"randomized\" takes no mask input");
  std::vector<std::int64_t> widths = {input_dim};
  widths.insert(widths.end(), c.hidden.begin(), c.hidden.end());
  widths.push_back(c.latent);
  for (std::size_t l = 1; l < widths.size(); ++l) {
    const auto n = std::to_string(l);
    encoders_.push_back(
        register_module("encoder" + n, torch::nn::Linear(widths[l - 1], widths[l])));
    decoders_.push_back(
        register_module("decoder" + n, torch::nn::Linear(widths[l], widths[l - 1])));
    random_.push_back(register_module("random" + n, torch::nn::Linear(widths[l - 1], widths[l])));
    // The shallow encoder stays as initialised: random and fixed.
    for (auto& p : random_.back()->parameters()) p.set_requires_grad(false);
    for (auto& p : encoders_.back()->parameters())
      p.set_requires_grad(false);  // filled from decoders
  }
}

torch::Tensor RandomizedAEImpl::act(const torch::Tensor& z) const {
  return activate(activation_, z);
}

torch::Tensor RandomizedAEImpl::encode_through(const torch::Tensor& x, std::int64_t layers) {
  auto a = x;
  for (std::int64_t l = 0; l < layers; ++l) {
    a = encoders_[l]->forward(a);
    if (l + 1 < static_cast<std::int64_t>(encoders_.size())) a = act(a);
  }
  return a;
}

torch::Tensor RandomizedAEImpl::reconstruct(const torch::Tensor& x, const torch::Tensor&) {
  // Through the layers built so far (all of them once training is done).
  const std::int64_t depth = std::max<std::int64_t>(built_, 1);
  return decode_from(depth == built_ ? encode_through(x, depth) : act(random_[0]->forward(x)),
                     depth);
}

torch::Tensor RandomizedAEImpl::decode_from(torch::Tensor a, std::int64_t layers) {
  for (std::int64_t l = layers - 1; l >= 0; --l) {
    a = decoders_[l]->forward(a);
    a = l == 0 ? a.sigmoid() : act(a);
  }
  return a;
}

Losses RandomizedAEImpl::loss(const Batch& b, const LossWeights&) {
  torch::Tensor below;  // a_{l-1}: the representation this stage's shallow AE reconstructs
  {
    torch::NoGradGuard no_grad;
    below = encode_through(b.input, stage_);
  }
  auto h = act(random_[stage_]->forward(below));
  auto out = decoders_[stage_]->forward(h);
  if (stage_ == 0) {
    auto recon = torch::mse_loss(out.sigmoid(), b.target);
    return {recon, recon};
  }
  auto recon = torch::mse_loss(act(out), below);  // of the representation below, not of pixels
  return {recon, recon};
}

void RandomizedAEImpl::end_stage(std::int64_t stage) {
  torch::NoGradGuard no_grad;
  encoders_[stage]->weight.copy_(decoders_[stage]->weight.t());
  encoders_[stage]->bias.zero_();
  for (auto& p : decoders_[stage]->parameters()) p.set_requires_grad(false);  // this layer is done
  built_ = stage + 1;
}

namespace {

std::shared_ptr<AutoencoderImpl> make_randomized(const sweeps::ModelConfig& c,
                                                 std::int64_t input_dim, std::int64_t output_dim,
                                                 std::int64_t) {
  return std::make_shared<RandomizedAEImpl>(c, input_dim, output_dim);
}

// One stage per layer: model.hidden, then the code.
std::int64_t randomized_stages(const sweeps::ModelConfig& c) {
  return static_cast<std::int64_t>(c.hidden.size()) + 1;
}

std::string randomized_unfusable(const sweeps::ModelConfig&) {
  return "the randomized AE trains layer by layer in stages, with fresh optimizer state and "
         "frozen layers per stage";
}

}  // namespace

const Family& randomized_family() {
  static const Family kFamily = {{sweeps::ModelKind::kRandomized}, make_randomized,
                                 randomized_stages, randomized_unfusable, nullptr};
  return kFamily;
}

}  // namespace models
