// Built only when CMake finds the CUDA toolkit and NCCL (RUNNER_HAVE_NCCL).
#include "cluster/nccl_comm.h"

#include <cstring>
#include <map>
#include <stdexcept>

#include "cluster/group.h"
#include "util/host.h"
#include "util/poll.h"

namespace cluster {
namespace {

constexpr double kFinalizeS = 10;  // how long a clean shutdown may flush before it aborts instead

// "host/bus id" of this rank's GPU, or "!why" when it cannot be made current.
std::string placement(int device) {
  try {
    CUDA_CHECK(cudaSetDevice(device));
    char bus[64] = {0};
    CUDA_CHECK(cudaDeviceGetPCIBusId(bus, sizeof bus, device));
    return util::host_name() + "/" + bus;
  } catch (const std::exception& e) {
    return std::string("!") + e.what();
  }
}

// The root's ncclUniqueId as bytes, or "!why".
std::string unique_id_bytes() {
  try {
    ncclUniqueId id;
    NCCL_CHECK(ncclGetUniqueId(&id));
    return std::string(reinterpret_cast<const char*>(&id), sizeof id);
  } catch (const std::exception& e) {
    return std::string("!") + e.what();
  }
}

}  // namespace

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

std::string placement_conflict(const std::vector<std::string>& ids) {
  std::string why;
  std::map<std::string, std::size_t> first;
  for (std::size_t r = 0; r < ids.size(); ++r) {
    if (!ids[r].empty() && ids[r][0] == '!') {
      why +=
          (why.empty() ? "" : "; ") + ("group rank " + std::to_string(r) + ": " + ids[r].substr(1));
      continue;
    }
    auto [at, fresh] = first.emplace(ids[r], r);
    if (!fresh)
      why += (why.empty() ? "" : "; ") +
             ("group ranks " + std::to_string(at->second) + " and " + std::to_string(r) +
              " are both on GPU " + ids[r] +
              ": NCCL needs a distinct GPU for each rank of a group. Start at most as many ranks "
              "per node as it has GPUs, or lower cluster.ranks_per_trial");
  }
  return why;
}

NcclComm::NcclComm(Group& group, int device, double timeout_s)
    : device_(device), timeout_s_(timeout_s) {
  const std::string conflict =
      placement_conflict(group.gather_strings(placement(device), timeout_s_));
  if (!conflict.empty()) throw std::runtime_error(conflict);
  const std::string id =
      group.gather_strings(group.rank() == 0 ? unique_id_bytes() : "", timeout_s_)[0];
  if (id.size() != sizeof(ncclUniqueId))
    throw std::runtime_error("no ncclUniqueId from the group root: " + id.substr(1));
  ncclUniqueId unique;
  std::memcpy(&unique, id.data(), sizeof unique);
  ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
  config.blocking = 0;  // so that init can be polled under the deadline
  settle(ncclCommInitRankConfig(&comm_, group.size(), unique, group.rank(), &config),
         "ncclCommInitRankConfig");
  CUDA_CHECK(cudaEventCreateWithFlags(&enqueued_, cudaEventDisableTiming));
}

NcclComm::~NcclComm() {
  if (enqueued_) cudaEventDestroy(enqueued_);
  if (!comm_) return;
  // Flush, then free; a peer that is gone must not hold the shutdown.
  ncclResult_t state = ncclCommFinalize(comm_);
  const bool flushed = state == ncclSuccess || (state == ncclInProgress &&
                                                util::poll_until(
                                                    [&] {
                                                      ncclCommGetAsyncError(comm_, &state);
                                                      return state != ncclInProgress;
                                                    },
                                                    kFinalizeS, util::kMessageBackoff) &&
                                                state == ncclSuccess);
  if (flushed)
    ncclCommDestroy(comm_);
  else
    ncclCommAbort(comm_);
}

void NcclComm::fail(const std::string& why) {
  if (comm_) ncclCommAbort(comm_);
  comm_ = nullptr;
  throw std::runtime_error(why);
}

void NcclComm::settle(ncclResult_t result, const char* what) {
  if (result != ncclSuccess && result != ncclInProgress)
    fail(std::string("NCCL error on ") + util::host_name() + ": " + what + ": " +
         ncclGetErrorString(result));
  if (result == ncclSuccess) return;
  ncclResult_t state = ncclInProgress;
  auto settled = [&] {
    if (ncclCommGetAsyncError(comm_, &state) != ncclSuccess) state = ncclSystemError;
    return state != ncclInProgress;
  };
  if (!util::poll_until(settled, timeout_s_, util::kCollectiveBackoff)) {
    ncclCommAbort(comm_);
    comm_ = nullptr;
    abort_job_stuck(std::string("NCCL ") + what, timeout_s_);
  }
  if (state != ncclSuccess)
    fail(std::string("NCCL error on ") + util::host_name() + ": " + what + ": " +
         ncclGetErrorString(state));
}

void NcclComm::check_async(const char* what) {
  ncclResult_t state = ncclSuccess;
  if (ncclCommGetAsyncError(comm_, &state) != ncclSuccess || state != ncclSuccess)
    fail(std::string("NCCL error: ") + ncclGetErrorString(state) + " in " + what + " on " +
         util::host_name());
}

// Polls the event after the latest collective, not the whole stream: the steps enqueued since
// need not be done, and the host waits only when it reads the sums (every few steps).
void NcclComm::finish(const char* what) {
  if (!comm_) throw std::runtime_error("the NCCL communicator was aborted after an error");
  std::string error;
  auto done = [&] {
    const cudaError_t state = cudaEventQuery(enqueued_);
    if (state == cudaSuccess) return true;
    if (state != cudaErrorNotReady) error = std::string("CUDA error: ") + cudaGetErrorString(state);
    ncclResult_t async_error = ncclSuccess;
    if (ncclCommGetAsyncError(comm_, &async_error) != ncclSuccess || async_error != ncclSuccess)
      error = std::string("NCCL error: ") + ncclGetErrorString(async_error);
    return !error.empty();
  };
  if (!util::poll_until(done, timeout_s_, util::kCollectiveBackoff)) {
    ncclCommAbort(comm_);
    comm_ = nullptr;
    abort_job_stuck(std::string("NCCL ") + what, timeout_s_);
  }
  if (!error.empty()) fail(error + " in " + what + " on " + util::host_name());
}

void NcclComm::allreduce_sum(float* data, std::size_t count, cudaStream_t stream) {
  if (!comm_) throw std::runtime_error("the NCCL communicator was aborted after an error");
  check_async("allreduce");
  settle(ncclAllReduce(data, data, count, ncclFloat32, ncclSum, comm_, stream), "ncclAllReduce");
  CUDA_CHECK(cudaEventRecord(enqueued_, stream));
}

void NcclComm::broadcast(float* data, std::size_t count, cudaStream_t stream) {
  if (!comm_) throw std::runtime_error("the NCCL communicator was aborted after an error");
  settle(ncclBroadcast(data, data, count, ncclFloat32, 0, comm_, stream), "ncclBroadcast");
  CUDA_CHECK(cudaEventRecord(enqueued_, stream));
  finish("broadcast");
}

}  // namespace cluster
