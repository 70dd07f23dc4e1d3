#include "cluster/mpi_context.h"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
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

const char* process_env(const char* var) {
  return std::getenv(var);
}

std::optional<int> launcher_rank(const EnvLookup& env) {
  for (const char* var : {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "SLURM_PROCID"})
    if (const char* v = env(var)) return std::atoi(v);
  return std::nullopt;
}

std::vector<std::pair<std::string, std::string>> singleton_settings(const EnvLookup& env) {
  std::vector<std::pair<std::string, std::string>> out;
  if (launcher_rank(env)) return out;
  for (const auto& [var, value] : {std::pair{"OMPI_MCA_ess_singleton_isolated", "1"},
                                   {"OMPI_MCA_pml", "ob1"},
                                   {"OMPI_MCA_btl", "self"}})
    if (!env(var)) out.emplace_back(var, value);
  return out;
}

MpiContext::MpiContext(int* argc, char*** argv) {
  int provided = 0;
  // Set only for MPI_Init, which reads them: processes this one starts (sbatch, a launcher) must
  // not inherit a world of one.
  const auto alone = singleton_settings();
  for (const auto& [var, value] : alone) setenv(var.c_str(), value.c_str(), 0);
  // Rank 0's scheduler thread and training thread both call MPI; LibTorch's threads never do.
  MPI_CHECK(MPI_Init_thread(argc, argv, MPI_THREAD_MULTIPLE, &provided));
  for (const auto& setting : alone) unsetenv(setting.first.c_str());
  threads_concurrent_ = provided >= MPI_THREAD_MULTIPLE;
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
  for (MPI_Comm* comm : {&commands_comm_, &reports_comm_}) {
    MPI_CHECK(MPI_Comm_dup(MPI_COMM_WORLD, comm));
    MPI_CHECK(MPI_Comm_set_errhandler(*comm, MPI_ERRORS_RETURN));
  }
  commands_ = Mailbox(commands_comm_);
  reports_ = Mailbox(reports_comm_);
}

MpiContext::~MpiContext() {
  MPI_Comm_free(&commands_comm_);
  MPI_Comm_free(&reports_comm_);
  MPI_Finalize();
}

void Mailbox::send(int dest, int tag, const std::string& bytes) {
  MPI_CHECK(MPI_Send(bytes.data(), static_cast<int>(bytes.size()), MPI_BYTE, dest, tag, comm_));
}

void Mailbox::post(int dest, int tag, std::string bytes) {
  Posted p{MPI_REQUEST_NULL, std::make_unique<std::string>(std::move(bytes))};
  MPI_CHECK(MPI_Isend(p.bytes->data(), static_cast<int>(p.bytes->size()), MPI_BYTE, dest, tag,
                      comm_, &p.request));
  posted_.push_back(std::move(p));
}

void Mailbox::reap_posted() {
  for (auto it = posted_.begin(); it != posted_.end();) {
    int done = 0;
    MPI_CHECK(MPI_Test(&it->request, &done, MPI_STATUS_IGNORE));
    it = done ? posted_.erase(it) : it + 1;
  }
}

bool Mailbox::wait_posted(double timeout_s) {
  return util::poll_until(
      [this] {
        reap_posted();
        return posted_.empty();
      },
      timeout_s, util::kMessageBackoff);
}

Message Mailbox::receive() {
  return receive_polite(comm_);
}

std::optional<Message> Mailbox::receive_for(double seconds) {
  return receive_polite(comm_, seconds);
}

namespace {

// Matched probes (MPI_Improbe + MPI_Mrecv): the message probed is the one received, even when
// another thread receives on the same communicator.
std::optional<Message> take_matched(MPI_Comm comm, int source, int tag) {
  MPI_Message handle;
  MPI_Status status;
  int flag = 0;
  MPI_CHECK(MPI_Improbe(source, tag, comm, &flag, &handle, &status));
  if (!flag) return std::nullopt;
  int count = 0;
  MPI_CHECK(MPI_Get_count(&status, MPI_BYTE, &count));
  Message m;
  m.source = status.MPI_SOURCE;
  m.tag = status.MPI_TAG;
  m.bytes.resize(count);
  MPI_CHECK(MPI_Mrecv(m.bytes.data(), count, MPI_BYTE, &handle, MPI_STATUS_IGNORE));
  return m;
}

}  // namespace

std::optional<Message> Mailbox::take_if_waiting(int source, int tag) {
  return take_matched(comm_, source, tag);
}

Message receive_polite(MPI_Comm comm) {
  return *receive_polite(comm, -1);
}

std::optional<Message> receive_polite(MPI_Comm comm, double timeout_s) {
  std::optional<Message> m;
  auto arrived = [&] { return (m = take_matched(comm, MPI_ANY_SOURCE, MPI_ANY_TAG)).has_value(); };
  util::poll_until(arrived, timeout_s, util::kMessageBackoff);
  return m;
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
