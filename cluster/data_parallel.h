#pragma once
// Keeps the replicas of one model in step across a group: identical initial weights, and every
// step's gradients summed in one flat buffer with one collective (not one per parameter).
#include <torch/torch.h>

#include <vector>

#include "cluster/backend.h"

namespace cluster {

// The share [begin, end) of a global batch of `batch` samples that group rank `rank` of `size`
// trains on: contiguous, disjoint, covering the batch, sizes differing by at most one.
std::pair<std::int64_t, std::int64_t> shard(std::int64_t batch, int rank, int size);

class GradientSync {
 public:
  // `backend` may be null for a group of one: then nothing is communicated.
  GradientSync(std::vector<torch::Tensor> parameters, Backend* backend, int scalars);
  // Copies the root's parameters to every rank.
  void broadcast_parameters();
  // Sums every parameter's gradient, and `scalars` riding in the same buffer, over the group.
  // Each rank should have scaled its loss by its share of the global batch, so that the sum is
  // the gradient of the global batch's mean loss.
  void sum(std::vector<double>& scalars);

 private:
  std::vector<torch::Tensor> params_;
  Backend* backend_;
  torch::Tensor buffer_;
  std::int64_t grad_numel_ = 0;
};

}  // namespace cluster
