// Built only when CMake finds the CUDA toolkit and NCCL (RUNNER_HAVE_NCCL).
#include "cluster/nccl_comm.h"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "cluster/group.h"
#include "util/hash.h"
#include "util/host.h"
#include "util/poll.h"

namespace cluster {

void nccl_check(ncclResult_t code, const char* call, const char* file, int line) {
  if (code == ncclSuccess) return;
  throw std::runtime_error("NCCL error on " + util::host_name() + " at " + file + ":" +
                           std::to_string(line) + ": " + call + ": " + ncclGetErrorString(code));
}

void cuda_check(cudaError_t code, const char* call, const char* file, int line) {
  if (code == cudaSuccess) return;
  throw std::runtime_error("CUDA error on " + util::host_name() + " at " + file + ":" +
                           std::to_string(line) + ": " + call + ": " + cudaGetErrorString(code));
}

NcclComm::NcclComm(MPI_Comm group, int device, double timeout_s) : timeout_s_(timeout_s) {
  int rank = 0, size = 1;
  MPI_CHECK(MPI_Comm_rank(group, &rank));
  MPI_CHECK(MPI_Comm_size(group, &size));

  // NCCL cannot put two ranks of one communicator on the same GPU: check before it hangs.
  const std::string host = util::host_name();
  std::uint64_t mine[2] = {util::fnv1a64(host), static_cast<std::uint64_t>(device)};
  std::vector<std::uint64_t> all(2 * size);
  MPI_CHECK(MPI_Allgather(mine, 2, MPI_UINT64_T, all.data(), 2, MPI_UINT64_T, group));
  for (int r = 0; r < size; ++r)
    if (r != rank && all[2 * r] == mine[0] && all[2 * r + 1] == mine[1])
      throw std::runtime_error(
          "ranks " + std::to_string(std::min(r, rank)) + " and " +
          std::to_string(std::max(r, rank)) + " of this trial's group are both on GPU " +
          std::to_string(device) + " of " + host +
          ": NCCL needs a distinct GPU for each rank of a group. Start at most as many ranks "
          "per node as it has GPUs, or lower cluster.ranks_per_trial");

  CUDA_CHECK(cudaSetDevice(device));
  ncclUniqueId id;
  if (rank == 0) NCCL_CHECK(ncclGetUniqueId(&id));
  MPI_Request req;
  MPI_CHECK(MPI_Ibcast(&id, sizeof id, MPI_BYTE, 0, group, &req));
  wait_or_abort(req, "broadcast of the ncclUniqueId", timeout_s_);
  NCCL_CHECK(ncclCommInitRank(&comm_, size, id, rank));
}

NcclComm::~NcclComm() {
  if (comm_) ncclCommDestroy(comm_);
}

void NcclComm::wait(cudaStream_t stream, const char* what) {
  auto done = [&] {
    const cudaError_t state = cudaStreamQuery(stream);
    if (state == cudaSuccess) return true;
    if (state != cudaErrorNotReady) CUDA_CHECK(state);
    ncclResult_t async_error = ncclSuccess;
    NCCL_CHECK(ncclCommGetAsyncError(comm_, &async_error));
    NCCL_CHECK(async_error);
    return false;
  };
  if (util::poll_until(done, timeout_s_, util::kCollectiveBackoff)) return;
  ncclCommAbort(comm_);
  comm_ = nullptr;
  abort_job_stuck(std::string("NCCL ") + what, timeout_s_);
}

void NcclComm::allreduce_sum(float* data, std::size_t count, cudaStream_t stream) {
  NCCL_CHECK(ncclAllReduce(data, data, count, ncclFloat32, ncclSum, comm_, stream));
  wait(stream, "allreduce");
}

void NcclComm::broadcast(float* data, std::size_t count, cudaStream_t stream) {
  NCCL_CHECK(ncclBroadcast(data, data, count, ncclFloat32, 0, comm_, stream));
  wait(stream, "broadcast");
}

}  // namespace cluster
