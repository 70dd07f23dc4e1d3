#include "cluster/mpi_context.h"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <stdexcept>

#include "util/host.h"
#include "util/poll.h"

namespace cluster {

void mpi_check(int code, const char* call, const char* file, int line) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING] = {0};
  int len = 0;
  MPI_Error_string(code, text, &len);
  throw std::runtime_error(std::string("MPI error on ") + util::host_name() + " at " + file + ":" +
                           std::to_string(line) + ": " + call + ": " + text);
}

MpiContext::MpiContext(int* argc, char*** argv) {
  int provided = 0;
  // Only the main thread calls MPI; LibTorch's worker threads never do.
  MPI_CHECK(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided));
  // Errors come back as codes (and from there as exceptions) instead of killing the job silently.
  MPI_CHECK(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN));
  MPI_CHECK(MPI_Comm_rank(MPI_COMM_WORLD, &rank_));
  MPI_CHECK(MPI_Comm_size(MPI_COMM_WORLD, &size_));
  std::vector<char> mine(MPI_MAX_PROCESSOR_NAME, 0), all(MPI_MAX_PROCESSOR_NAME * size_, 0);
  const std::string me = util::host_name();
  me.copy(mine.data(), mine.size() - 1);
  MPI_CHECK(MPI_Allgather(mine.data(), MPI_MAX_PROCESSOR_NAME, MPI_CHAR, all.data(),
                          MPI_MAX_PROCESSOR_NAME, MPI_CHAR, MPI_COMM_WORLD));
  local_size_ = 0;
  for (int r = 0; r < size_; ++r) {
    hosts_.emplace_back(&all[r * MPI_MAX_PROCESSOR_NAME]);
    if (hosts_.back() == me) {
      if (r < rank_) ++local_rank_;
      ++local_size_;
    }
  }
}

MpiContext::~MpiContext() {
  MPI_Finalize();
}

void MpiContext::send(int dest, int tag, const std::string& bytes) {
  MPI_CHECK(
      MPI_Send(bytes.data(), static_cast<int>(bytes.size()), MPI_BYTE, dest, tag, MPI_COMM_WORLD));
}

Message MpiContext::receive() {
  return receive_polite(MPI_COMM_WORLD);
}

std::optional<Message> MpiContext::receive_for(double seconds) {
  return receive_polite(MPI_COMM_WORLD, seconds);
}

namespace {

Message take(MPI_Comm comm, const MPI_Status& status) {
  int count = 0;
  MPI_CHECK(MPI_Get_count(&status, MPI_BYTE, &count));
  Message m;
  m.source = status.MPI_SOURCE;
  m.tag = status.MPI_TAG;
  m.bytes.resize(count);
  MPI_CHECK(MPI_Recv(m.bytes.data(), count, MPI_BYTE, m.source, m.tag, comm, MPI_STATUS_IGNORE));
  return m;
}

}  // namespace

std::optional<Message> MpiContext::take_if_waiting(int source, int tag) {
  MPI_Status status;
  int flag = 0;
  MPI_CHECK(MPI_Iprobe(source, tag, MPI_COMM_WORLD, &flag, &status));
  if (!flag) return std::nullopt;
  return take(MPI_COMM_WORLD, status);
}

Message receive_polite(MPI_Comm comm) {
  return *receive_polite(comm, -1);
}

std::optional<Message> receive_polite(MPI_Comm comm, double timeout_s) {
  MPI_Status status;
  auto waiting = [&] {
    int flag = 0;
    MPI_CHECK(MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, comm, &flag, &status));
    return flag != 0;
  };
  if (!util::poll_until(waiting, timeout_s, util::kMessageBackoff)) return std::nullopt;
  return take(comm, status);
}

int MpiContext::broadcast(int value, int root) {
  MPI_CHECK(MPI_Bcast(&value, 1, MPI_INT, root, MPI_COMM_WORLD));
  return value;
}

void MpiContext::abort(int code) {
  MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code);
}

int cores_available() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
  return cores_on_node();
}

int cores_on_node() {
  return static_cast<int>(std::max(1L, sysconf(_SC_NPROCESSORS_ONLN)));
}

}  // namespace cluster
