#pragma once
// An NCCL communicator over an MPI group, on raw device buffers. Compiled only where CMake finds
// the CUDA toolkit and NCCL (RUNNER_HAVE_NCCL), even against a CPU-only LibTorch.
#include <cuda_runtime.h>
#include <mpi.h>
#include <nccl.h>

namespace cluster {

void nccl_check(ncclResult_t code, const char* call, const char* file, int line);
void cuda_check(cudaError_t code, const char* call, const char* file, int line);
#define NCCL_CHECK(call) ::cluster::nccl_check((call), #call, __FILE__, __LINE__)
#define CUDA_CHECK(call) ::cluster::cuda_check((call), #call, __FILE__, __LINE__)

class NcclComm {
 public:
  // Collective over `group`: the group root makes the ncclUniqueId and MPI broadcasts it. Refuses
  // two ranks of the group on the same GPU of one host (NCCL cannot run that).
  NcclComm(MPI_Comm group, int device, double timeout_s);
  ~NcclComm();
  NcclComm(const NcclComm&) = delete;
  NcclComm& operator=(const NcclComm&) = delete;

  void allreduce_sum(float* data, std::size_t count, cudaStream_t stream);
  void broadcast(float* data, std::size_t count, cudaStream_t stream);

 private:
  // Polls the stream until the collective is done; aborts the communicator and the job on timeout.
  void wait(cudaStream_t stream, const char* what);

  ncclComm_t comm_ = nullptr;
  double timeout_s_;
};

}  // namespace cluster
