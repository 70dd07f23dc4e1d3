#pragma once
// Data-parallel collectives of one group behind one small interface: MPI on CPU tensors (always
// built), NCCL on CUDA tensors (with -DRUNNER_WITH_NCCL=ON; a stub that says so otherwise).
#include <torch/torch.h>

#include <memory>
#include <string>

#include "sweeps/config.h"

namespace cluster {

class Group;

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;
  // Sums a contiguous float32 tensor over the group, in place.
  virtual void allreduce_sum(torch::Tensor& flat) = 0;
  // Replaces every rank's tensor by the group root's.
  virtual void broadcast(torch::Tensor& flat) = 0;
  // Gathers one string per rank at the group root (empty elsewhere); used to report errors.
  virtual std::vector<std::string> gather_strings(const std::string& mine) = 0;
};

// The backend for tensors on `device`: MPI for CPU, NCCL for CUDA. Collective over the group.
// Throws if the build or the placement cannot serve the device.
std::unique_ptr<Backend> make_backend(Group& group, const torch::Device& device, double timeout_s);

// The device a rank trains on for train.device = auto | cpu | cuda: the GPU is chosen from
// CUDA_VISIBLE_DEVICES (one listed: that one), else SLURM_LOCALID, else the rank's index on its
// node.
torch::Device choose_device(sweeps::Device wanted, int local_rank);

}  // namespace cluster
