#pragma once
// An NCCL communicator over a group of ranks, on raw device buffers. Compiled only where CMake
// finds the CUDA toolkit and NCCL (RUNNER_HAVE_NCCL), even against a CPU-only LibTorch.
#include <cuda_runtime.h>
#include <nccl.h>

#include <string>
#include <vector>

namespace cluster {

class Group;

void nccl_check(ncclResult_t code, const char* call, const char* file, int line);
void cuda_check(cudaError_t code, const char* call, const char* file, int line);
#define NCCL_CHECK(call) ::cluster::nccl_check((call), #call, __FILE__, __LINE__)
#define CUDA_CHECK(call) ::cluster::cuda_check((call), #call, __FILE__, __LINE__)

// Why the ranks of one group cannot share a communicator, from each rank's "host/PCI bus id"
// (or "!why" where its GPU could not be set), indexed by group rank: "" when they can. NCCL runs
// one rank per GPU, and it tells GPUs apart by host and bus id, as this does: device ordinals
// repeat across CUDA_VISIBLE_DEVICES masks. Every rank decides from the same list, so all refuse
// together and none is left waiting in the next collective.
std::string placement_conflict(const std::vector<std::string>& host_bus_ids);

class NcclComm {
 public:
  // Collective over `group`: the ranks agree on their GPUs first, the group root makes the
  // ncclUniqueId, and the communicator is created non-blocking and polled, so that a rank that
  // never arrives aborts the job after `timeout_s` instead of hanging it.
  NcclComm(Group& group, int device, double timeout_s);
  ~NcclComm();
  NcclComm(const NcclComm&) = delete;
  NcclComm& operator=(const NcclComm&) = delete;

  // Aborted after an error: unusable.
  bool aborted() const { return comm_ == nullptr; }
  // Enqueues the sum on `stream` and returns: the host does not wait for it (finish does).
  void allreduce_sum(float* data, std::size_t count, cudaStream_t stream);
  // Waits until the collectives enqueued so far are done, under the deadline: on an error
  // aborts the communicator and throws, on timeout aborts the job.
  void finish(const char* what);
  void broadcast(float* data, std::size_t count, cudaStream_t stream);

 private:
  // Waits until an NCCL call of this non-blocking communicator has left ncclInProgress; on an
  // error, aborts the communicator and throws.
  void settle(ncclResult_t result, const char* what);
  // Throws (aborting the communicator) if NCCL has reported an error, without waiting.
  void check_async(const char* what);
  // Aborts the communicator (its kernels may hang) and throws `why`.
  [[noreturn]] void fail(const std::string& why);

  ncclComm_t comm_ = nullptr;
  cudaEvent_t enqueued_ = nullptr;  // recorded after the latest collective
  int device_ = 0;
  double timeout_s_;
};

}  // namespace cluster
