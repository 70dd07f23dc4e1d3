#pragma once
// Data-parallel collectives of one group behind one small interface: MPI on CPU tensors (always
// built), NCCL on CUDA tensors (with -DRUNNER_WITH_NCCL=ON; a stub that says so otherwise).
#include <torch/torch.h>

#include <map>
#include <memory>
#include <string>
#include <utility>

#include "sweeps/config.h"

namespace cluster {

class Group;

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;
  // Sums a contiguous float32 tensor over the group, in place. NCCL only enqueues it on the
  // tensor's stream: kernels after it on that stream see the sum, the host after finish().
  virtual void allreduce_sum(torch::Tensor& flat) = 0;
  // Waits, under the collective deadline, for the collectives enqueued so far; throws on their
  // error. Call it before the host reads what they computed.
  virtual void finish() {}
  // Replaces every rank's tensor by the group root's.
  virtual void broadcast(torch::Tensor& flat) = 0;
  // Whether an error left it unusable (an aborted NCCL communicator).
  virtual bool broken() const { return false; }
};

// The backend for tensors on `device`: MPI for CPU, NCCL for CUDA. Collective over the group.
// Throws if the build or the placement cannot serve the device.
std::unique_ptr<Backend> make_backend(Group& group, const torch::Device& device, double timeout_s);

// The backends of a run's groups, made once per group and device (NCCL communicators are costly
// to set up, and a rank stays in one group for the whole run), and destroyed with the run, before
// MPI is finalised.
class Backends {
 public:
  // The group's backend for `device`; nullptr for a group of one. Collective over the group the
  // first time, and again after an error broke it (an NCCL error breaks it on every rank).
  Backend* get(Group& group, const torch::Device& device, double timeout_s);

 private:
  std::map<std::pair<const Group*, std::string>, std::unique_ptr<Backend>> backends_;
};

// The GPU a rank takes among the `visible` ones it sees: its index among the ranks of its node,
// from the host names MPI gathered, modulo `visible` (one GPU per task through
// CUDA_VISIBLE_DEVICES: that one). Not SLURM_LOCALID: under mpirun inside an allocation every
// rank inherits the batch step's SLURM_LOCALID=0. -1 when there is no GPU.
int gpu_index(int visible, int local_rank);

// Why `local_size` ranks of a node cannot take `visible` GPUs at most `ranks_per_gpu` to a GPU
// (cluster.ranks_per_gpu), or "" when they can. Ranks sharing a GPU train separate trials: two
// ranks of one group on one GPU are refused by the NCCL backend whatever this allows.
std::string gpu_sharing_problem(int visible, int local_size, int ranks_per_gpu);

// The device a rank trains on for train.device = auto | cpu | cuda (a GPU chosen by gpu_index);
// throws for cuda where there is none, and for a GPU shared by more ranks than allowed.
torch::Device choose_device(sweeps::Device wanted, int local_rank, int local_size = 1,
                            int ranks_per_gpu = 1);

// Makes `device` the current CUDA device (nothing for the CPU). Call it before any tensor or
// generator of the trial touches the GPU, or every rank leaves a context on GPU 0.
void use_device(const torch::Device& device);

}  // namespace cluster
