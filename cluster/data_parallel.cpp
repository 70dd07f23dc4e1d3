#include "cluster/data_parallel.h"

namespace cluster {

std::pair<std::int64_t, std::int64_t> shard(std::int64_t batch, int rank, int size) {
  const std::int64_t base = batch / size, extra = batch % size;
  const std::int64_t begin = rank * base + std::min<std::int64_t>(rank, extra);
  return {begin, begin + base + (rank < extra ? 1 : 0)};
}

GradientSync::GradientSync(std::vector<torch::Tensor> parameters, Backend* backend, int scalars)
    : params_(std::move(parameters)), backend_(backend) {
  for (const auto& p : params_) grad_numel_ += p.numel();
  if (backend_ && !params_.empty())
    buffer_ = torch::zeros({grad_numel_ + scalars}, params_.front().options().dtype(torch::kFloat32));
}

void GradientSync::broadcast_parameters() {
  if (!backend_) return;
  torch::NoGradGuard no_grad;
  std::int64_t at = 0;
  for (const auto& p : params_) buffer_.narrow(0, at, p.numel()).copy_(p.detach().reshape(-1)), at += p.numel();
  backend_->broadcast(buffer_);
  at = 0;
  for (auto& p : params_) p.copy_(buffer_.narrow(0, at, p.numel()).view_as(p)), at += p.numel();
}

void GradientSync::sum(std::vector<double>& scalars) {
  if (!backend_) return;
  torch::NoGradGuard no_grad;
  std::int64_t at = 0;
  for (const auto& p : params_) {
    auto slot = buffer_.narrow(0, at, p.numel());
    if (p.grad().defined()) slot.copy_(p.grad().reshape(-1));
    else slot.zero_();
    at += p.numel();
  }
  auto tail = buffer_.narrow(0, grad_numel_, static_cast<std::int64_t>(scalars.size()));
  tail.copy_(torch::tensor(scalars, torch::kFloat64).to(tail.options()));
  backend_->allreduce_sum(buffer_);
  at = 0;
  for (auto& p : params_) {
    auto slot = buffer_.narrow(0, at, p.numel()).view_as(p);
    if (p.grad().defined()) p.mutable_grad().copy_(slot);
    else p.mutable_grad() = slot.clone();
    at += p.numel();
  }
  auto summed = tail.to(torch::kCPU, torch::kFloat64).contiguous();
  for (std::size_t i = 0; i < scalars.size(); ++i) scalars[i] = summed[static_cast<std::int64_t>(i)].item<double>();
}

}  // namespace cluster
