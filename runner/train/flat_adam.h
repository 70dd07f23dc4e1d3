#pragma once
// A model's parameters and gradients each in one contiguous buffer, and Adam on those buffers.
// One buffer means a handful of large element-wise ops per step instead of several per parameter,
// and the gradients are already the buffer a data-parallel allreduce needs: no copies either way.
#include <torch/torch.h>

#include <utility>
#include <vector>

namespace runner {

class FlatParameters {
 public:
  // Re-seats every parameter (and its gradient) as a view into one flat buffer. `extra` trailing
  // slots of the gradient buffer carry scalars that travel with the gradients in one collective.
  FlatParameters(const std::vector<torch::Tensor>& parameters, std::int64_t extra);
  // The parameters of K models of one architecture (a fused array, models/fused.h), parameter by
  // parameter: the K members' values of a parameter form one contiguous (K, shape...) block, which
  // stacked() gives as a leaf tensor with its gradient in the gradient buffer: what the fused
  // forward computes with. The members' own parameters become views of their slices (evaluating
  // a member reads the array's weights).
  FlatParameters(const std::vector<std::vector<torch::Tensor>>& members, std::int64_t extra);
  std::int64_t members() const { return members_; }
  // Member k's part of a buffer laid out as values() (the values, or Adam's moments), in the
  // layout of that member alone: what its own checkpoint holds. A copy, or the buffer itself for
  // one model.
  torch::Tensor member_of(const torch::Tensor& buffer, std::int64_t k) const;
  void set_member(torch::Tensor& buffer, std::int64_t k, const torch::Tensor& alone) const;
  // Where each parameter's block lies in values(): (offset, elements per member).
  const std::vector<std::pair<std::int64_t, std::int64_t>>& blocks() const { return blocks_; }
  const std::vector<torch::Tensor>& stacked() const { return stacked_; }
  torch::Tensor& values() { return values_; }
  torch::Tensor gradients() { return grads_.narrow(0, 0, values_.numel()); }
  torch::Tensor& gradients_and_extra() { return grads_; }
  torch::Tensor extra() { return grads_.narrow(0, values_.numel(), extra_); }
  void zero_grad() { grads_.zero_(); }

 private:
  torch::Tensor values_, grads_;
  std::int64_t extra_;
  std::int64_t members_ = 1;
  std::vector<torch::Tensor> stacked_;
  std::vector<std::pair<std::int64_t, std::int64_t>> blocks_;
};

// Adam (Kingma & Ba), with the same arithmetic as torch::optim::Adam, on flat buffers.
class FlatAdam {
 public:
  FlatAdam(FlatParameters& params, double lr, double beta1 = 0.9, double beta2 = 0.999,
           double eps = 1e-8);
  // Members of a fused array, each with its own learning rate; a member whose rate is 0 is
  // skipped (it was dropped from the array).
  FlatAdam(FlatParameters& params, std::vector<double> member_lrs);
  void step();
  void set_member_lr(std::size_t k, double lr) {
    lrs_.at(k) = lr;
    lrs_on_device_ = torch::Tensor();  // sent again at the next step, only then
  }
  double member_lr(std::size_t k) const { return lrs_.at(k); }

  // The state a checkpoint keeps, and puts back.
  std::int64_t steps() const { return steps_; }
  void set_steps(std::int64_t steps) { steps_ = steps; }
  torch::Tensor& exp_avg() { return exp_avg_; }
  torch::Tensor& exp_avg_sq() { return exp_avg_sq_; }

 private:
  FlatParameters& params_;
  std::vector<double> lrs_;  // one per member
  // An array's rates as a (K, 1) float64 column on the parameters' device, sent once per change:
  // a copy from the host every step would make every step wait for it on a GPU.
  torch::Tensor lrs_on_device_;
  double beta1_ = 0.9, beta2_ = 0.999, eps_ = 1e-8;
  std::int64_t steps_ = 0;
  torch::Tensor exp_avg_, exp_avg_sq_, denom_, update_;
};

}  // namespace runner
