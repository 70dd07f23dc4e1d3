#include "cluster/backend.h"

#include <climits>
#include <cstdlib>
#include <stdexcept>

#include "cluster/group.h"
#include "cluster/nccl_backend.h"

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

  std::vector<std::string> gather_strings(const std::string& mine) override {
    int len = static_cast<int>(mine.size());
    std::vector<int> lens(group_.size());
    MPI_Request req;
    MPI_CHECK(MPI_Igather(&len, 1, MPI_INT, lens.data(), 1, MPI_INT, 0, group_.comm(), &req));
    wait_or_abort(req, "MPI_Igather of error lengths", timeout_s_);
    std::vector<int> offsets(group_.size(), 0);
    for (int r = 1; r < group_.size(); ++r) offsets[r] = offsets[r - 1] + lens[r - 1];
    std::string all(group_.rank() == 0 ? offsets.back() + lens.back() : 0, '\0');
    MPI_CHECK(MPI_Igatherv(mine.data(), len, MPI_CHAR, all.data(), lens.data(), offsets.data(),
                           MPI_CHAR, 0, group_.comm(), &req));
    wait_or_abort(req, "MPI_Igatherv of error messages", timeout_s_);
    std::vector<std::string> out;
    if (group_.rank() == 0)
      for (int r = 0; r < group_.size(); ++r) out.push_back(all.substr(offsets[r], lens[r]));
    return out;
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

torch::Device choose_device(sweeps::Device wanted, int local_rank) {
  if (wanted == sweeps::Device::kCpu) return torch::kCPU;
  const int count = static_cast<int>(torch::cuda::device_count());
  if (count == 0) {
    if (wanted == sweeps::Device::kCuda)
      throw std::runtime_error(
          "train.device = \"cuda\" but no GPU is usable here (LibTorch " +
          std::string(torch::cuda::is_available() ? "sees none" : "was built without CUDA") + ")");
    return torch::kCPU;
  }
  int index = local_rank;
  if (const char* local = std::getenv("SLURM_LOCALID")) index = std::atoi(local);
  return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index % count));
}

}  // namespace cluster
