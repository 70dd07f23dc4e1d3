#include "runner/pictures.h"

#include "results/artifacts.h"

namespace runner {
namespace {

constexpr std::int64_t kGap = 2;                 // pixels between tiles
constexpr std::uint8_t kGapGrey = 96;            // tiles stand out from the gaps
constexpr std::int64_t kActivityPerClass = 100;  // rows per digit of the code-activity image

// The first test sample of each class, in class order.
torch::Tensor one_per_class(const torch::Tensor& labels, std::int64_t classes) {
  std::vector<std::int64_t> picks;
  auto l = labels.to(torch::kCPU);
  for (std::int64_t k = 0; k < classes; ++k) {
    auto where = l.eq(k).nonzero();
    if (where.size(0) > 0) picks.push_back(where[0][0].item<std::int64_t>());
  }
  return torch::tensor(picks, torch::kInt64).to(labels.device());
}

std::vector<std::uint8_t> to_bytes(const torch::Tensor& t) {
  auto b = t.clamp(0, 1).mul(255).round().to(torch::kUInt8).to(torch::kCPU).contiguous();
  return {b.data_ptr<std::uint8_t>(), b.data_ptr<std::uint8_t>() + b.numel()};
}

}  // namespace

std::string tile_png(const torch::Tensor& images, std::int64_t grid_rows, std::int64_t grid_cols,
                     std::int64_t rows, std::int64_t cols) {
  const std::int64_t width = grid_cols * cols + (grid_cols + 1) * kGap;
  const std::int64_t height = grid_rows * rows + (grid_rows + 1) * kGap;
  std::vector<std::uint8_t> canvas(width * height, kGapGrey);
  auto bytes = to_bytes(images.reshape({-1, rows * cols}));
  const std::int64_t n = std::min<std::int64_t>(images.size(0), grid_rows * grid_cols);
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int64_t top = kGap + (i / grid_cols) * (rows + kGap),
                       left = kGap + (i % grid_cols) * (cols + kGap);
    for (std::int64_t y = 0; y < rows; ++y)
      std::copy_n(&bytes[i * rows * cols + y * cols], cols, &canvas[(top + y) * width + left]);
  }
  return results::encode_png(static_cast<int>(width), static_cast<int>(height), 1, canvas);
}

util::Artifacts draw_pictures(models::AutoencoderImpl& model, sweeps::ModelKind kind,
                              const PictureInputs& in) {
  torch::NoGradGuard no_grad;
  model.eval();
  util::Artifacts out;
  auto picks = one_per_class(in.labels, in.classes);
  const std::int64_t k = picks.size(0);
  auto labels = in.labels.index_select(0, picks);
  auto clean = in.clean.index_select(0, picks);
  auto recon = model.reconstruct(in.input.index_select(0, picks), labels);
  out.emplace_back("reconstructions", tile_png(torch::cat({clean, recon}), 2, k, in.rows, in.cols));

  if (in.corrupted.defined()) {
    auto input = in.corrupted_input.index_select(0, picks);
    auto rows = torch::cat({clean, in.corrupted.index_select(0, picks),
                            in.mask.index_select(0, picks), model.reconstruct(input, labels)});
    out.emplace_back("corruption", tile_png(rows, 4, k, in.rows, in.cols));
  }

  if (kind == sweeps::ModelKind::kIcvae) {
    std::vector<torch::Tensor> tiles;
    auto input = in.input.index_select(0, picks);
    for (std::int64_t r = 0; r < k; ++r) {
      tiles.push_back(clean[r].unsqueeze(0));
      auto x = input[r].unsqueeze(0).expand({in.classes, -1});
      tiles.push_back(model.reconstruct(x, torch::arange(in.classes, labels.options())));
    }
    out.emplace_back("conditional",
                     tile_png(torch::cat(tiles), k, in.classes + 1, in.rows, in.cols));
  }

  if (kind == sweeps::ModelKind::kSparseBinary || kind == sweeps::ModelKind::kSparseL1) {
    std::vector<torch::Tensor> groups;
    for (std::int64_t c = 0; c < in.classes; ++c) {
      auto idx = in.labels.eq(c).nonzero().flatten();
      groups.push_back(
          in.input.index_select(0, idx.narrow(0, 0, std::min(kActivityPerClass, idx.size(0)))));
    }
    auto active = model.encode(torch::cat(groups)).gt(0).to(torch::kFloat32);
    auto order = active.sum(0).argsort(/*dim=*/0, /*descending=*/true);
    auto image = active.index_select(1, order);
    out.emplace_back("code_activity",
                     results::encode_png(static_cast<int>(image.size(1)),
                                         static_cast<int>(image.size(0)), 1, to_bytes(image)));
  }
  return out;
}

}  // namespace runner
