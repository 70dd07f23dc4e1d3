// Built only with a CUDA-enabled LibTorch, CUDA and NCCL (RUNNER_WITH_NCCL).
#include "cluster/nccl_backend.h"

#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

#include "cluster/group.h"
#include "cluster/nccl_comm.h"

namespace cluster {
namespace {

class NcclBackend : public Backend {
 public:
  NcclBackend(Group& group, int device, double timeout_s) : comm_(group, device, timeout_s) {}
  std::string name() const override { return "nccl"; }
  bool broken() const override { return comm_.aborted(); }

  // On the tensor's device and its current stream, so the collective follows the step's kernels
  // without a host synchronisation in between.
  void allreduce_sum(torch::Tensor& flat) override {
    check(flat);
    const c10::cuda::CUDAGuard on(flat.device());
    comm_.allreduce_sum(flat.data_ptr<float>(), flat.numel(),
                        c10::cuda::getCurrentCUDAStream(flat.device().index()));
  }

  void finish() override { comm_.finish("allreduce"); }

  void broadcast(torch::Tensor& flat) override {
    check(flat);
    const c10::cuda::CUDAGuard on(flat.device());
    comm_.broadcast(flat.data_ptr<float>(), flat.numel(),
                    c10::cuda::getCurrentCUDAStream(flat.device().index()));
  }

 private:
  static void check(const torch::Tensor& t) {
    if (!t.is_cuda() || t.scalar_type() != torch::kFloat32 || !t.is_contiguous())
      throw std::invalid_argument("the NCCL backend takes contiguous float32 CUDA tensors");
  }

  NcclComm comm_;
};

}  // namespace

std::unique_ptr<Backend> make_nccl_backend(Group& group, int device, double timeout_s) {
  return std::make_unique<NcclBackend>(group, device, timeout_s);
}

bool nccl_built() { return true; }

}  // namespace cluster
