// Built only with a CUDA-enabled LibTorch, CUDA and NCCL (RUNNER_WITH_NCCL).
#include "cluster/nccl_backend.h"

#include <ATen/cuda/CUDAContext.h>

#include "cluster/group.h"
#include "cluster/nccl_comm.h"

namespace cluster {
namespace {

class NcclBackend : public Backend {
 public:
  NcclBackend(Group& group, int device, double timeout_s)
      : group_(group), comm_(group.comm(), device, timeout_s) {}
  std::string name() const override { return "nccl"; }

  void allreduce_sum(torch::Tensor& flat) override {
    check(flat);
    comm_.allreduce_sum(flat.data_ptr<float>(), flat.numel(),
                        at::cuda::getCurrentCUDAStream(flat.device().index()));
  }

  void broadcast(torch::Tensor& flat) override {
    check(flat);
    comm_.broadcast(flat.data_ptr<float>(), flat.numel(),
                    at::cuda::getCurrentCUDAStream(flat.device().index()));
  }

  // Error reports are rare and small: they go over MPI, not the GPU.
  std::vector<std::string> gather_strings(const std::string& mine) override {
    std::vector<std::string> out;
    if (group_.rank() == 0) {
      out.push_back(mine);
      for (int r = 1; r < group_.size(); ++r) out.push_back(group_.receive().bytes);
    } else {
      group_.send(0, 0, mine);
    }
    return out;
  }

 private:
  static void check(const torch::Tensor& t) {
    if (!t.is_cuda() || t.scalar_type() != torch::kFloat32 || !t.is_contiguous())
      throw std::invalid_argument("the NCCL backend takes contiguous float32 CUDA tensors");
  }

  Group& group_;
  NcclComm comm_;
};

}  // namespace

std::unique_ptr<Backend> make_nccl_backend(Group& group, int device, double timeout_s) {
  return std::make_unique<NcclBackend>(group, device, timeout_s);
}

}  // namespace cluster
