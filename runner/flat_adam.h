#pragma once
// A model's parameters and gradients each in one contiguous buffer, and Adam on those buffers.
// One buffer means a handful of large element-wise ops per step instead of several per parameter,
// and the gradients are already the buffer a data-parallel allreduce needs: no copies either way.
#include <torch/torch.h>

#include <vector>

namespace runner {

class FlatParameters {
 public:
  // Re-seats every parameter (and its gradient) as a view into one flat buffer. `extra` trailing
  // slots of the gradient buffer carry scalars that travel with the gradients in one collective.
  FlatParameters(const std::vector<torch::Tensor>& parameters, std::int64_t extra);
  torch::Tensor& values() { return values_; }
  torch::Tensor gradients() { return grads_.narrow(0, 0, values_.numel()); }
  torch::Tensor& gradients_and_extra() { return grads_; }
  torch::Tensor extra() { return grads_.narrow(0, values_.numel(), extra_); }
  void zero_grad() { grads_.zero_(); }

 private:
  torch::Tensor values_, grads_;
  std::int64_t extra_;
};

// Adam (Kingma & Ba), with the same arithmetic as torch::optim::Adam, on flat buffers.
class FlatAdam {
 public:
  FlatAdam(FlatParameters& params, double lr, double beta1 = 0.9, double beta2 = 0.999,
           double eps = 1e-8);
  void step();

  // The state a checkpoint keeps, and puts back.
  std::int64_t steps() const { return steps_; }
  void set_steps(std::int64_t steps) { steps_ = steps; }
  torch::Tensor& exp_avg() { return exp_avg_; }
  torch::Tensor& exp_avg_sq() { return exp_avg_sq_; }

 private:
  FlatParameters& params_;
  double lr_, beta1_, beta2_, eps_;
  std::int64_t steps_ = 0;
  torch::Tensor exp_avg_, exp_avg_sq_, denom_;
};

}  // namespace runner
