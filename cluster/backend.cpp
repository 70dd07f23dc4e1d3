#include "cluster/backend.h"

#include <c10/core/impl/DeviceGuardImplInterface.h>

#include <climits>
#include <stdexcept>

#include "cluster/group.h"
#include "cluster/nccl_backend.h"
#include "util/host.h"

namespace cluster {
namespace {

class MpiBackend : public Backend {
 public:
  MpiBackend(Group& group, double timeout_s) : group_(group), timeout_s_(timeout_s) {}
  std::string name() const override { return "mpi"; }

  void allreduce_sum(torch::Tensor& flat) override {
    check(flat);
    for_chunks(flat, [&](float* p, int n) {
      MPI_Request req;
      MPI_CHECK(MPI_Iallreduce(MPI_IN_PLACE, p, n, MPI_FLOAT, MPI_SUM, group_.comm(), &req));
      wait_or_abort(req, "MPI_Iallreduce of " + std::to_string(n) + " floats", timeout_s_);
    });
  }

  void broadcast(torch::Tensor& flat) override {
    check(flat);
    for_chunks(flat, [&](float* p, int n) {
      MPI_Request req;
      MPI_CHECK(MPI_Ibcast(p, n, MPI_FLOAT, 0, group_.comm(), &req));
      wait_or_abort(req, "MPI_Ibcast of " + std::to_string(n) + " floats", timeout_s_);
    });
  }

 private:
  static void check(const torch::Tensor& t) {
    if (!t.device().is_cpu() || t.scalar_type() != torch::kFloat32 || !t.is_contiguous())
      throw std::invalid_argument("the MPI backend takes contiguous float32 CPU tensors");
  }

  // MPI counts are ints: split buffers of more than INT_MAX elements.
  template <typename F>
  static void for_chunks(torch::Tensor& t, F&& f) {
    float* p = t.data_ptr<float>();
    for (std::int64_t left = t.numel(); left > 0;) {
      int n = static_cast<int>(std::min<std::int64_t>(left, INT_MAX));
      f(p, n);
      p += n;
      left -= n;
    }
  }

  Group& group_;
  double timeout_s_;
};

}  // namespace

std::unique_ptr<Backend> make_backend(Group& group, const torch::Device& device, double timeout_s) {
  if (device.is_cpu()) return std::make_unique<MpiBackend>(group, timeout_s);
  if (device.is_cuda()) return make_nccl_backend(group, device.index(), timeout_s);
  throw std::runtime_error("no data-parallel backend for device " + device.str());
}

Backend* Backends::get(Group& group, const torch::Device& device, double timeout_s) {
  if (group.size() == 1) return nullptr;
  auto& slot = backends_[{&group, device.str()}];
  if (slot && slot->broken()) slot.reset();
  if (!slot) slot = make_backend(group, device, timeout_s);
  return slot.get();
}

int gpu_index(int visible, int local_rank) {
  return visible > 0 ? local_rank % visible : -1;
}

std::string gpu_sharing_problem(int visible, int local_size, int ranks_per_gpu) {
  if (visible <= 0 || local_size <= visible * ranks_per_gpu) return "";
  return std::to_string(local_size) + " ranks on this node (" + util::host_name() + ") share " +
         std::to_string(visible) + " GPU(s): up to " +
         std::to_string((local_size + visible - 1) / visible) +
         " per GPU, more than cluster.ranks_per_gpu = " + std::to_string(ranks_per_gpu) +
         " allows (raise it to let trials share a GPU, or start fewer ranks per node)";
}

torch::Device choose_device(sweeps::Device wanted, int local_rank, int local_size,
                            int ranks_per_gpu) {
  if (wanted == sweeps::Device::kCpu) return torch::kCPU;
  const int visible = static_cast<int>(torch::cuda::device_count());
  if (const auto problem = gpu_sharing_problem(visible, local_size, ranks_per_gpu);
      !problem.empty())
    throw std::runtime_error(problem);
  const int index = gpu_index(visible, local_rank);
  if (index < 0) {
    if (wanted == sweeps::Device::kCuda)
      throw std::runtime_error(
          "train.device = \"cuda\" but no GPU is usable here (LibTorch " +
          std::string(torch::cuda::is_available() ? "sees none" : "was built without CUDA") + ")");
    return torch::kCPU;
  }
  return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
}

void use_device(const torch::Device& device) {
  // LibTorch's device-generic guard: no CUDA header, so this builds against a CPU-only LibTorch,
  // where no CUDA device is ever chosen.
  if (device.is_cuda()) c10::impl::getDeviceGuardImpl(device.type())->setDevice(device);
}

}  // namespace cluster
