#include "models/conv.h"

#include <cmath>
#include <stdexcept>

#include "models/family.h"

namespace models {

ConvAEImpl::ConvAEImpl(const sweeps::ModelConfig& c, std::int64_t input_dim,
                       std::int64_t output_dim) {
  side_ = static_cast<std::int64_t>(std::lround(std::sqrt(static_cast<double>(output_dim))));
  if (side_ * side_ != output_dim)
    throw std::invalid_argument("model.kind = \"conv\" needs square images");
  in_channels_ = input_dim / output_dim;
  const auto stages = static_cast<std::int64_t>(c.channels.size());
  if (side_ % (std::int64_t{1} << stages) != 0)
    throw std::invalid_argument("model.channels has " + std::to_string(stages) +
                                " pooling stages, but " + std::to_string(side_) + "x" +
                                std::to_string(side_) + " images do not halve that often");
  features = register_module("features", torch::nn::Sequential());
  std::int64_t ch = in_channels_;
  for (auto out : c.channels) {
    features->push_back(torch::nn::Conv2d(torch::nn::Conv2dOptions(ch, out, 3).padding(1)));
    features->push_back(torch::nn::ReLU());
    features->push_back(torch::nn::MaxPool2d(2));
    ch = out;
  }
  last_channels_ = ch;
  small_side_ = side_ >> stages;
  const std::int64_t flat = last_channels_ * small_side_ * small_side_;
  to_code = register_module("to_code", torch::nn::Linear(flat, c.latent));
  from_code = register_module("from_code", torch::nn::Linear(c.latent, flat));
  upsample = register_module("upsample", torch::nn::Sequential());
  for (std::int64_t s = stages - 1; s >= 0; --s) {
    const std::int64_t out = s > 0 ? c.channels[s - 1] : 1;
    upsample->push_back(
        torch::nn::ConvTranspose2d(torch::nn::ConvTranspose2dOptions(ch, out, 2).stride(2)));
    if (s > 0) upsample->push_back(torch::nn::ReLU());
    ch = out;
  }
}

torch::Tensor ConvAEImpl::encode(const torch::Tensor& x) {
  auto img = x.view({x.size(0), in_channels_, side_, side_});
  auto f = features->is_empty() ? img : features->forward(img);
  return to_code->forward(f.flatten(1));
}

torch::Tensor ConvAEImpl::decode(const torch::Tensor& z) {
  auto f = torch::relu(from_code->forward(z))
               .view({z.size(0), last_channels_, small_side_, small_side_});
  auto img = upsample->is_empty() ? f : upsample->forward(f);
  return torch::sigmoid(img.flatten(1));
}

namespace {

torch::Tensor conv_fused_encode(const FusedAutoencoder& f, const torch::Tensor& x) {
  const auto& ae = f.first<ConvAEImpl>();
  const auto side = static_cast<std::int64_t>(std::lround(std::sqrt(f.output_dim())));
  auto features = f.run(ae.features, to_groups(x, f.input_dim() / f.output_dim(), side));
  return f.linear(*ae.to_code, to_members(features, f.members()));
}

torch::Tensor conv_fused_decode(const FusedAutoencoder& f, const torch::Tensor& z) {
  const auto& ae = f.first<ConvAEImpl>();
  const auto side = static_cast<std::int64_t>(std::lround(std::sqrt(f.output_dim())));
  const std::int64_t small = side >> f.config().channels.size();
  auto features = torch::relu(f.linear(*ae.from_code, z));
  auto img = f.run(ae.upsample, to_groups(features, f.config().channels.back(), small));
  return torch::sigmoid(to_members(img, f.members()));
}

// ConvAEImpl's loss (AutoencoderImpl::loss), per member.
FusedLosses conv_fused_loss(const FusedAutoencoder& f, const FusedBatch& b, const FusedWeights&) {
  auto recon = mse_per_member(conv_fused_decode(f, conv_fused_encode(f, b.input)), b.target);
  return {recon, recon};
}

std::shared_ptr<AutoencoderImpl> make_conv(const sweeps::ModelConfig& c, std::int64_t input_dim,
                                           std::int64_t output_dim, std::int64_t) {
  return std::make_shared<ConvAEImpl>(c, input_dim, output_dim);
}

std::string conv_unfusable(const sweeps::ModelConfig& c) {
  if (c.channels.empty()) return "a conv model without channels has no convolution to group";
  return "";
}

}  // namespace

const Family& conv_family() {
  static const Family kFamily = {{sweeps::ModelKind::kConv}, make_conv, one_stage, conv_unfusable,
                                 conv_fused_loss};
  return kFamily;
}

}  // namespace models
