#include "models/fused.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <variant>

#include "models/family.h"

namespace models {
namespace {

// LibTorch 1.13 keeps a convolution's padding in a c10::variant, 2.x in a std::variant: an
// unqualified get finds either by argument-dependent lookup.
template <typename Padding>
torch::ExpandingArray<2> padding_of(const Padding& padding) {
  using std::get;
  return get<torch::ExpandingArray<2>>(padding);
}

// y = x W^T + b for each member, (K, batch, in) -> (K, batch, out), with its own backward pass:
// autograd's for baddbmm makes the weight's gradient transposed, (K, in, out), and copies it over
// every step; here it comes out as g^T x in the weight's own layout, the product torch::addmm's
// backward computes for a model alone.
struct StackedLinear : torch::autograd::Function<StackedLinear> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                               const torch::Tensor& w, const torch::Tensor& b) {
    ctx->save_for_backward({x, w});
    return torch::baddbmm(b.unsqueeze(1), x, w.transpose(1, 2));
  }
  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto& g = grads[0];
    torch::Tensor gx;
    if (ctx->needs_input_grad(0)) gx = torch::bmm(g, saved[1]);
    return {gx, torch::bmm(g.transpose(1, 2), saved[0]), g.sum(1)};
  }
};

}  // namespace

// (batch, K * channels, h, w) <-> (K, batch, channels * h * w): the layout of a grouped
// convolution against that of the members' flattened images.
torch::Tensor to_members(const torch::Tensor& x, std::int64_t k) {
  return x.reshape({x.size(0), k, -1}).transpose(0, 1);
}
torch::Tensor to_groups(const torch::Tensor& x, std::int64_t channels, std::int64_t side) {
  const std::int64_t k = x.size(0), batch = x.size(1);
  return x.reshape({k, batch, channels, side, side})
      .transpose(0, 1)
      .reshape({batch, k * channels, side, side});
}

// Mean squared error per member over its batch and pixels: (K). Summed, then divided as a (K)
// tensor, so that the backward pass is one element-wise kernel (mse_loss's), and its gradient the
// one torch::mse_loss gives each member alone, bit for bit.
torch::Tensor mse_per_member(const torch::Tensor& out, const torch::Tensor& target) {
  return torch::mse_loss(out, target, torch::Reduction::None).sum({1, 2}) /
         static_cast<double>(out.size(1) * out.size(2));
}

// A member's loss weight as a member alone uses it: a double rounded once to the model's type.
torch::Tensor in_model_precision(const torch::Tensor& weights, const torch::Tensor& like) {
  return weights.to(like.scalar_type());
}

std::string unfusable_reason(const sweeps::ModelConfig& c) {
  return family_of(c.kind).unfusable_reason(c);
}

FusedAutoencoder::FusedAutoencoder(const sweeps::ModelConfig& c, const AutoencoderImpl& first,
                                   std::vector<torch::Tensor> stacked, std::int64_t input_dim,
                                   std::int64_t output_dim, std::int64_t num_classes)
    : config_(c),
      first_(first),
      stacked_(std::move(stacked)),
      members_(stacked_.empty() ? 0 : stacked_.front().size(0)),
      input_dim_(input_dim),
      output_dim_(output_dim),
      classes_(num_classes) {
  if (const auto why = unfusable_reason(c); !why.empty())
    throw std::invalid_argument("cannot fuse: " + why);
  for (const auto& p : first.parameters()) first_params_.push_back(p.unsafeGetTensorImpl());
  if (first_params_.size() != stacked_.size())
    throw std::invalid_argument("a fused array needs one stacked tensor per parameter");
}

const torch::Tensor& FusedAutoencoder::weight_of(const torch::Tensor& member_parameter) const {
  const auto it = std::find(first_params_.begin(), first_params_.end(),
                            static_cast<const void*>(member_parameter.unsafeGetTensorImpl()));
  if (it == first_params_.end()) throw std::logic_error("a parameter outside the fused array");
  return stacked_[static_cast<std::size_t>(it - first_params_.begin())];
}

torch::Tensor FusedAutoencoder::linear(const torch::nn::LinearImpl& layer,
                                       const torch::Tensor& x) const {
  return StackedLinear::apply(x, weight_of(layer.weight), weight_of(layer.bias));
}

torch::Tensor FusedAutoencoder::child(const std::shared_ptr<torch::nn::Module>& m,
                                      const torch::Tensor& x) const {
  const std::int64_t k = members_;
  if (auto* lin = m->as<torch::nn::Linear>()) return linear(*lin, x);
  if (auto* conv = m->as<torch::nn::Conv2d>()) {
    const auto& w = weight_of(conv->weight);  // (K, out, in, kh, kw)
    const auto& o = conv->options;
    return torch::conv2d(x, w.reshape({k * w.size(1), w.size(2), w.size(3), w.size(4)}),
                         weight_of(conv->bias).reshape({-1}), o.stride(), padding_of(o.padding()),
                         o.dilation(), k);
  }
  if (auto* up = m->as<torch::nn::ConvTranspose2d>()) {
    const auto& w = weight_of(up->weight);  // (K, in, out, kh, kw)
    const auto& o = up->options;
    return torch::conv_transpose2d(x, w.reshape({k * w.size(1), w.size(2), w.size(3), w.size(4)}),
                                   weight_of(up->bias).reshape({-1}), o.stride(),
                                   padding_of(o.padding()), o.output_padding(), k, o.dilation());
  }
  // Element-wise and pooling layers hold no weights and act on any layout alike.
  if (auto* f = m->as<torch::nn::Functional>()) return f->forward(x);
  if (auto* r = m->as<torch::nn::ReLU>()) return r->forward(x);
  if (auto* p = m->as<torch::nn::MaxPool2d>()) return p->forward(x);
  throw std::logic_error("a layer the fused array cannot run: " + m->name());
}

torch::Tensor FusedAutoencoder::run(const torch::nn::Sequential& seq, torch::Tensor x) const {
  for (const auto& m : seq->children()) x = child(m, x);
  return x;
}

FusedLosses FusedAutoencoder::loss(const FusedBatch& b, const FusedWeights& w) const {
  return family_of(config_.kind).fused_loss(*this, b, w);
}

}  // namespace models
