#include "models/corruptions.h"

#include <cmath>
#include <map>
#include <stdexcept>
#include <string>

namespace models {
namespace {

constexpr double kBlotchSigma = 2.5;  // pixels: blotches a few pixels across on a 28x28 digit

torch::Tensor gaussian_kernel_1d(double sigma) {
  const std::int64_t radius = static_cast<std::int64_t>(std::ceil(3 * sigma));
  auto t = torch::arange(-radius, radius + 1, torch::kFloat32);
  auto k = (-(t * t) / (2 * sigma * sigma)).exp();
  return k / k.sum();
}

// The blotches' blur kernel on `device`, made once per device: building it on the host and
// copying it every call would make every step of a GPU trial wait for the copy. Never freed: a
// CUDA tensor must not outlive the runtime at exit.
const torch::Tensor& blotch_kernel(const torch::Device& device) {
  static auto* kernels = new std::map<std::string, torch::Tensor>;
  auto& k = (*kernels)[device.str()];
  if (!k.defined()) k = gaussian_kernel_1d(kBlotchSigma).to(device);
  return k;
}

}  // namespace

torch::Tensor blotch_masks(const torch::Tensor& thresholds, std::int64_t rows, std::int64_t cols) {
  const std::int64_t n = thresholds.size(0);
  auto noise = torch::rand({n, 1, rows, cols}, thresholds.options().dtype(torch::kFloat32));
  const auto& k = blotch_kernel(noise.device());
  const std::int64_t pad = k.size(0) / 2;
  // Separable blur, reflecting at the border so blotches reach the edges.
  auto field =
      torch::conv2d(torch::reflection_pad2d(noise, {pad, pad, 0, 0}), k.view({1, 1, 1, -1}));
  field = torch::conv2d(torch::reflection_pad2d(field, {0, 0, pad, pad}), k.view({1, 1, -1, 1}));
  // Rank within each mask: the smoothed field's quantiles, uniform on [0, 1).
  const auto pixels = rows * cols;
  auto ranks = field.view({n, pixels})
                   .argsort(/*dim=*/1, /*descending=*/false)
                   .argsort(/*dim=*/1, /*descending=*/false)
                   .to(torch::kFloat32) /
               static_cast<double>(pixels);
  return ranks.lt(thresholds.view({n, 1}).to(torch::kFloat32)).to(torch::kFloat32);
}

Corrupted corrupt(const sweeps::CorruptionConfig& c, const torch::Tensor& clean, std::int64_t rows,
                  std::int64_t cols) {
  auto ones = torch::ones_like(clean);
  switch (c.kind) {
    case sweeps::CorruptionKind::kNone:
      return {clean, ones};
    case sweeps::CorruptionKind::kGaussian:
      return {(clean + c.level * torch::randn_like(clean)).clamp(0, 1), ones};
    case sweeps::CorruptionKind::kMasking: {
      auto keep = torch::rand_like(clean).ge(c.level).to(clean.scalar_type());
      return {clean * keep, keep};
    }
    case sweeps::CorruptionKind::kSaltPepper: {
      auto hit = torch::rand_like(clean).lt(c.level);
      auto salt = torch::rand_like(clean).ge(0.5).to(clean.scalar_type());
      return {torch::where(hit, salt, clean), hit.logical_not().to(clean.scalar_type())};
    }
    case sweeps::CorruptionKind::kBlotch: {
      auto t = c.threshold_min +
               (c.threshold_max - c.threshold_min) * torch::rand({clean.size(0)}, clean.options());
      auto mask = blotch_masks(t, rows, cols).to(clean.options());
      return {clean * mask, mask};
    }
  }
  throw std::invalid_argument("unknown corruption.kind");
}

torch::Tensor network_input(const sweeps::CorruptionConfig& c, const Corrupted& x) {
  return c.mask_input ? torch::cat({x.image, x.mask}, 1) : x.image;
}

torch::Tensor clean_input(const sweeps::CorruptionConfig& c, const torch::Tensor& x) {
  return c.mask_input ? network_input(c, {x, torch::ones_like(x)}) : x;
}

std::int64_t input_width(const sweeps::CorruptionConfig& c, std::int64_t pixels) {
  return c.mask_input ? 2 * pixels : pixels;
}

}  // namespace models
