#include "runner/train/pictures.h"

#include <algorithm>
#include <cmath>

#include "results/artifacts.h"

namespace runner {
namespace {

constexpr std::int64_t kGap = 2;                 // pixels between tiles
constexpr std::uint8_t kGapGrey = 96;            // tiles stand out from the gaps
constexpr std::int64_t kActivityPerClass = 100;  // rows per digit of the code-activity image
constexpr std::int64_t kBlendSteps = 7;          // codes between two digits' codes (document 003)
constexpr std::int64_t kQuantiles = 8;  // samples shown per digit's error distribution (004)
constexpr std::int64_t kQuantileBins = 32, kActiveBins = 64;  // histogram bins
constexpr std::int64_t kBarWidth = 3, kActiveHeight = 28;     // histogram bar width, panel height

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

// An RGB picture to draw on: tiles of images, and bars.
class Canvas {
 public:
  Canvas(std::int64_t width, std::int64_t height)
      : width_(width), height_(height), px_(width * height * 3, kGapGrey) {}
  // An image of rows*cols bytes at top/left: greyscale, or RGB as 3 planes one after another.
  void image(const std::uint8_t* bytes, bool rgb, std::int64_t top, std::int64_t left,
             std::int64_t rows, std::int64_t cols) {
    const std::int64_t plane = rgb ? rows * cols : 0;
    for (std::int64_t y = 0; y < rows; ++y)
      for (std::int64_t x = 0; x < cols; ++x)
        for (std::int64_t ch = 0; ch < 3; ++ch)
          at(top + y, left + x)[ch] = bytes[ch * plane + y * cols + x];
  }
  void rect(std::int64_t top, std::int64_t left, std::int64_t height, std::int64_t width,
            std::uint8_t grey) {
    for (std::int64_t y = top; y < top + height; ++y)
      for (std::int64_t x = left; x < left + width; ++x)
        for (std::int64_t ch = 0; ch < 3; ++ch) at(y, x)[ch] = grey;
  }
  // Bars of `counts` bottom-up in a panel, the tallest reaching its top; dark on light.
  void histogram(const std::vector<double>& counts, std::int64_t top, std::int64_t left,
                 std::int64_t height, std::int64_t bar_width) {
    rect(top, left, height, bar_width * static_cast<std::int64_t>(counts.size()), 235);
    const double most = *std::max_element(counts.begin(), counts.end());
    for (std::size_t i = 0; i < counts.size(); ++i) {
      const auto h =
          most > 0 ? static_cast<std::int64_t>(std::lround(height * counts[i] / most)) : 0;
      rect(top + height - h, left + static_cast<std::int64_t>(i) * bar_width, h, bar_width, 40);
    }
  }
  std::string png() const {
    return results::encode_png(static_cast<int>(width_), static_cast<int>(height_), 3, px_);
  }

 private:
  std::uint8_t* at(std::int64_t y, std::int64_t x) { return &px_[(y * width_ + x) * 3]; }
  std::int64_t width_, height_;
  std::vector<std::uint8_t> px_;
};

// Counts of `values` in `bins` equal bins over [0, top].
std::vector<double> bin_counts(const torch::Tensor& values, std::int64_t bins, double top) {
  auto idx = (values.to(torch::kFloat64) / std::max(top, 1e-12) * bins)
                 .floor()
                 .clamp(0, bins - 1)
                 .to(torch::kInt64)
                 .flatten();
  auto counts = torch::bincount(idx, {}, bins).to(torch::kFloat64).to(torch::kCPU).contiguous();
  return {counts.data_ptr<double>(), counts.data_ptr<double>() + bins};
}

// Representation blending over content blending, between test digits `a` and `b` (document 003).
std::string draw_blending(models::AutoencoderImpl& model, const PictureInputs& in, std::int64_t a,
                          std::int64_t b) {
  const auto ends = torch::tensor({a, b}, torch::kInt64).to(in.clean.device());
  auto x = in.clean.index_select(0, ends);
  auto input = in.input.index_select(0, ends);
  auto t = torch::linspace(0, 1, kBlendSteps, x.options()).unsqueeze(1);
  auto codes = model.encode(input);
  auto blended_codes = (1 - t) * codes[0].unsqueeze(0) + t * codes[1].unsqueeze(0);
  // A conditional decoder takes the label of the nearer end.
  auto labels = torch::where(t.squeeze(1).le(0.5), in.labels[a], in.labels[b]).to(torch::kInt64);
  auto decoded = model.decode_code(blended_codes, labels);
  auto content = (1 - t) * x[0].unsqueeze(0) + t * x[1].unsqueeze(0);
  auto row = [&](const torch::Tensor& middle) {
    return torch::cat({x.narrow(0, 0, 1), middle, x.narrow(0, 1, 1)});
  };
  return tile_png(torch::cat({row(decoded), row(content)}), 2, kBlendSteps + 2, in.rows, in.cols);
}

// Originals, reconstructions, and their difference in red (extra ink) and blue (missing ink).
std::string draw_differences(const torch::Tensor& clean, const torch::Tensor& recon,
                             std::int64_t rows, std::int64_t cols) {
  const std::int64_t k = clean.size(0), pixels = rows * cols;
  // Bytes of every image at once: one conversion, not one per tile.
  const auto grey = to_bytes(torch::cat({clean, recon}));
  const auto diff = to_bytes(difference_colours(clean, recon));
  Canvas c(k * cols + (k + 1) * kGap, 3 * rows + 4 * kGap);
  for (std::int64_t i = 0; i < k; ++i) {
    const std::int64_t left = kGap + i * (cols + kGap);
    c.image(&grey[i * pixels], false, kGap, left, rows, cols);
    c.image(&grey[(k + i) * pixels], false, 2 * kGap + rows, left, rows, cols);
    c.image(&diff[i * 3 * pixels], true, 3 * kGap + 2 * rows, left, rows, cols);
  }
  return c.png();
}

// Per digit: the histogram of its test errors, then its samples at 8 quantiles (document 004).
// The errors are sorted on the host and the picked samples reconstructed in one pass.
std::string draw_error_quantiles(models::AutoencoderImpl& model, const PictureInputs& in) {
  const auto errors = in.errors.to(torch::kCPU, torch::kFloat64).contiguous();
  const auto labels = in.labels.to(torch::kCPU, torch::kInt64).contiguous();
  const double* e = errors.data_ptr<double>();
  const std::int64_t* l = labels.data_ptr<std::int64_t>();
  const double top = *std::max_element(e, e + errors.numel());
  std::vector<std::vector<std::int64_t>> by_class(static_cast<std::size_t>(in.classes));
  for (std::int64_t i = 0; i < errors.numel(); ++i)
    if (l[i] >= 0 && l[i] < in.classes) by_class[static_cast<std::size_t>(l[i])].push_back(i);
  std::vector<std::int64_t> picks;  // kQuantiles per class with samples, in class order
  for (auto& idx : by_class) {
    std::stable_sort(idx.begin(), idx.end(), [&](auto a, auto b) { return e[a] < e[b]; });
    for (std::int64_t q = 0; q < kQuantiles && !idx.empty(); ++q) {
      const double at = (2.0 * q + 1) / (2.0 * kQuantiles) * static_cast<double>(idx.size() - 1);
      picks.push_back(idx[static_cast<std::size_t>(std::lround(at))]);
    }
  }
  const auto rows = torch::tensor(picks, torch::kInt64).to(in.input.device());
  const auto bytes = to_bytes(torch::cat(
      {in.clean.index_select(0, rows),
       model.reconstruct(in.input.index_select(0, rows), in.labels.index_select(0, rows))}));
  const std::int64_t panel = kQuantileBins * kBarWidth, cell = in.rows * 2 + kGap;
  const std::int64_t pixels = in.rows * in.cols, n = static_cast<std::int64_t>(picks.size());
  Canvas c(panel + kGap + kQuantiles * (in.cols + kGap) + kGap, in.classes * (cell + kGap) + kGap);
  std::int64_t shown = 0;
  for (std::int64_t k = 0; k < in.classes; ++k) {
    const auto& idx = by_class[static_cast<std::size_t>(k)];
    if (idx.empty()) continue;
    const std::int64_t y = kGap + k * (cell + kGap);
    std::vector<double> counts(kQuantileBins, 0.0);
    for (auto i : idx)
      counts[static_cast<std::size_t>(std::clamp<double>(
          std::floor(e[i] / std::max(top, 1e-12) * kQuantileBins), 0, kQuantileBins - 1))] += 1;
    c.histogram(counts, y, kGap, cell, kBarWidth);
    for (std::int64_t q = 0; q < kQuantiles; ++q, ++shown) {
      const std::int64_t x = 2 * kGap + panel + q * (in.cols + kGap);
      c.image(&bytes[shown * pixels], false, y, x, in.rows, in.cols);
      c.image(&bytes[(n + shown) * pixels], false, y + in.rows + kGap, x, in.rows, in.cols);
    }
  }
  return c.png();
}

// Per digit: the histogram of active bits per image, on one scale (document 004).
std::string draw_active_bits(const torch::Tensor& active_counts, const torch::Tensor& labels,
                             std::int64_t classes) {
  const double top = std::max(1.0, active_counts.max().item<double>() + 1);
  Canvas c(kActiveBins * kBarWidth + 2 * kGap, classes * (kActiveHeight + kGap) + kGap);
  for (std::int64_t k = 0; k < classes; ++k)
    c.histogram(bin_counts(active_counts.masked_select(labels.eq(k)), kActiveBins, top),
                kGap + k * (kActiveHeight + kGap), kGap, kActiveHeight, kBarWidth);
  return c.png();
}

}  // namespace

torch::Tensor difference_colours(const torch::Tensor& clean, const torch::Tensor& recon) {
  auto extra = (recon - clean).clamp_min(0), missing = (clean - recon).clamp_min(0);
  return torch::stack({1 - missing, 1 - extra - missing, 1 - extra}, 1);
}

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
  out.emplace_back("differences", draw_differences(clean, recon, in.rows, in.cols));
  if (k >= 8)
    out.emplace_back("blending", draw_blending(model, in, picks[2].item<std::int64_t>(),
                                               picks[7].item<std::int64_t>()));
  if (in.errors.defined()) out.emplace_back("error_quantiles", draw_error_quantiles(model, in));

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
    out.emplace_back("active_bits",
                     draw_active_bits(model.encode(in.input).gt(0).sum(1), in.labels, in.classes));
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
