#include "runner/flat_adam.h"

#include <cmath>

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

FlatAdam::FlatAdam(FlatParameters& params, double lr, double beta1, double beta2, double eps)
    : params_(params), lr_(lr), beta1_(beta1), beta2_(beta2), eps_(eps) {
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
  params_.values().addcdiv_(exp_avg_, denom_, -lr_ / bias1);
}

}  // namespace runner
