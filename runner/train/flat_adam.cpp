#include "runner/train/flat_adam.h"

#include <cmath>
#include <stdexcept>

namespace runner {

FlatParameters::FlatParameters(const std::vector<torch::Tensor>& parameters, std::int64_t extra)
    : extra_(extra) {
  torch::NoGradGuard no_grad;
  std::int64_t total = 0;
  for (const auto& p : parameters) total += p.numel();
  auto options = parameters.empty() ? torch::TensorOptions() : parameters.front().options();
  values_ = torch::empty({total}, options);
  grads_ = torch::zeros({total + extra}, options);
  std::int64_t at = 0;
  for (auto p : parameters) {
    const std::int64_t n = p.numel();
    values_.narrow(0, at, n).copy_(p.reshape(-1));
    // set_ keeps the parameter's identity (modules and autograd still hold it) but moves its data.
    p.set_(values_.storage(), values_.storage_offset() + at, p.sizes(), p.contiguous().strides());
    // Autograd accumulates into an existing gradient in place, so gradients stay in the buffer.
    p.mutable_grad() = grads_.narrow(0, at, n).view(p.sizes());
    at += n;
  }
}

FlatParameters::FlatParameters(const std::vector<std::vector<torch::Tensor>>& members,
                               std::int64_t extra)
    : extra_(extra), members_(static_cast<std::int64_t>(members.size())) {
  torch::NoGradGuard no_grad;
  const auto& first = members.at(0);
  std::int64_t total = 0;
  for (const auto& p : first) total += members_ * p.numel();
  auto options = first.empty() ? torch::TensorOptions() : first.front().options();
  values_ = torch::empty({total}, options);
  grads_ = torch::zeros({total + extra}, options);
  std::int64_t at = 0;
  for (std::size_t j = 0; j < first.size(); ++j) {
    const std::int64_t n = first[j].numel();
    std::vector<std::int64_t> sizes = {members_};
    sizes.insert(sizes.end(), first[j].sizes().begin(), first[j].sizes().end());
    auto block = values_.narrow(0, at, members_ * n).view(sizes);
    for (std::int64_t k = 0; k < members_; ++k) {
      auto p = members[static_cast<std::size_t>(k)].at(j);
      if (p.sizes() != first[j].sizes())
        throw std::invalid_argument("the members of a fused array differ in shape");
      block[k].copy_(p);
      p.set_(values_.storage(), values_.storage_offset() + at + k * n, p.sizes(),
             block[k].strides());
    }
    auto s = torch::empty({0}, options);
    s.set_(values_.storage(), values_.storage_offset() + at, block.sizes(), block.strides());
    s.requires_grad_(true);
    s.mutable_grad() = grads_.narrow(0, at, members_ * n).view(sizes);
    stacked_.push_back(s);
    blocks_.emplace_back(at, n);
    at += members_ * n;
  }
}

torch::Tensor FlatParameters::member_of(const torch::Tensor& buffer, std::int64_t k) const {
  if (members_ == 1) return buffer;
  std::vector<torch::Tensor> parts;
  for (const auto& [at, n] : blocks_) parts.push_back(buffer.narrow(0, at + k * n, n));
  return torch::cat(parts);
}

void FlatParameters::set_member(torch::Tensor& buffer, std::int64_t k,
                                const torch::Tensor& alone) const {
  torch::NoGradGuard no_grad;
  if (members_ == 1) {
    buffer.copy_(alone);
    return;
  }
  std::int64_t from = 0;
  for (const auto& [at, n] : blocks_) {
    buffer.narrow(0, at + k * n, n).copy_(alone.narrow(0, from, n));
    from += n;
  }
}

FlatAdam::FlatAdam(FlatParameters& params, double lr, double beta1, double beta2, double eps)
    : FlatAdam(params, std::vector<double>{lr}) {
  beta1_ = beta1;
  beta2_ = beta2;
  eps_ = eps;
}

FlatAdam::FlatAdam(FlatParameters& params, std::vector<double> member_lrs)
    : params_(params), lrs_(std::move(member_lrs)) {
  if (static_cast<std::int64_t>(lrs_.size()) != params.members())
    throw std::invalid_argument("one learning rate per member of the array");
  exp_avg_ = torch::zeros_like(params_.values());
  exp_avg_sq_ = torch::zeros_like(params_.values());
  denom_ = torch::empty_like(params_.values());
}

void FlatAdam::step() {
  torch::NoGradGuard no_grad;
  ++steps_;
  const double bias1 = 1 - std::pow(beta1_, static_cast<double>(steps_));
  const double bias2 = 1 - std::pow(beta2_, static_cast<double>(steps_));
  auto grad = params_.gradients();
  exp_avg_.mul_(beta1_).add_(grad, 1 - beta1_);
  exp_avg_sq_.mul_(beta2_).addcmul_(grad, grad, 1 - beta2_);
  torch::sqrt_out(denom_, exp_avg_sq_).div_(std::sqrt(bias2)).add_(eps_);
  const auto k_members = static_cast<std::int64_t>(lrs_.size());
  if (k_members == 1) {
    params_.values().addcdiv_(exp_avg_, denom_, -lrs_[0] / bias1);
    return;
  }
  // Each member's step size times its first moment, then divided: the order of operations of
  // addcdiv_ above, so that each member's update is exactly the one it would make alone.
  if (!lrs_on_device_.defined())
    lrs_on_device_ =
        torch::tensor(lrs_, torch::kFloat64).to(exp_avg_.device()).view({k_members, 1});
  // -lr / bias1 in float64, then rounded once: the step size the member alone takes.
  const auto column = lrs_on_device_.div(-bias1).to(exp_avg_.scalar_type());
  if (!update_.defined()) update_ = torch::empty_like(exp_avg_);
  for (const auto& [at, n] : params_.blocks()) {
    auto out = update_.narrow(0, at, k_members * n).view({k_members, n});
    torch::mul_out(out, exp_avg_.narrow(0, at, k_members * n).view({k_members, n}), column);
  }
  params_.values().add_(update_.div_(denom_));
}

}  // namespace runner
