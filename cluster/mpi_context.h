#pragma once
// The MPI world of one `runner run`: initialisation, who is where, and byte messages between
// ranks. Every MPI call goes through MPI_CHECK, so a failure names the call, file, line and host.
#include <mpi.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace cluster {

void mpi_check(int code, const char* call, const char* file, int line);
#define MPI_CHECK(call) ::cluster::mpi_check((call), #call, __FILE__, __LINE__)

struct Message {
  int source = -1;
  int tag = -1;
  std::string bytes;
};

// One direction of the scheduler's traffic, on a communicator of its own. Rank 0 both schedules
// and trains: its scheduler thread and its training thread each receive on their own mailbox, so
// neither takes the other's messages.
class Mailbox {
 public:
  Mailbox() = default;
  explicit Mailbox(MPI_Comm comm) : comm_(comm) {}
  void send(int dest, int tag, const std::string& bytes);
  // Sends without waiting for the receiver (MPI_Isend): a message over the transport's eager
  // limit (4 KiB in shared memory) otherwise holds the sender until the receiver takes it. The
  // bytes are kept until the send completes. One thread per mailbox posts.
  void post(int dest, int tag, std::string bytes);
  // Forgets the posted sends that have completed; never waits.
  void reap_posted();
  // Waits up to `timeout_s` (negative: for ever) for every posted send; returns whether all
  // completed.
  bool wait_posted(double timeout_s);
  std::size_t posted() const { return posted_.size(); }
  // Waits for the next message from anyone. Polls with short sleeps: Open MPI's blocking receive
  // spins a core, which would starve the training threads of the ranks beside it.
  Message receive();
  // The same, but gives up after `seconds` (so the caller can look at signals while it waits).
  std::optional<Message> receive_for(double seconds);
  // Takes a message (with this tag from `source`, by default any) if one is waiting; never waits.
  std::optional<Message> take_if_waiting(int source = MPI_ANY_SOURCE, int tag = MPI_ANY_TAG);

 private:
  struct Posted {
    MPI_Request request;
    std::unique_ptr<std::string> bytes;  // stays put while MPI reads it
  };
  MPI_Comm comm_ = MPI_COMM_NULL;
  std::vector<Posted> posted_;
};

class MpiContext {
 public:
  MpiContext(int* argc, char*** argv);
  ~MpiContext();
  MpiContext(const MpiContext&) = delete;
  MpiContext& operator=(const MpiContext&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  const std::string& host() const { return hosts_[rank_]; }
  const std::string& host_of(int rank) const { return hosts_[rank]; }
  const std::vector<std::string>& hosts() const { return hosts_; }
  // Ranks sharing this rank's node, and this rank's index among them.
  int local_size() const { return local_size_; }
  int local_rank() const { return local_rank_; }
  // Whether threads may call MPI at once (MPI_THREAD_MULTIPLE): then rank 0 schedules on one
  // thread and trains on another.
  bool threads_concurrent() const { return threads_concurrent_; }

  // Rank 0 -> group roots: assignments, interrupts, stops.
  Mailbox& commands() { return commands_; }
  // Group roots -> rank 0: epoch reports, results, heartbeats.
  Mailbox& reports() { return reports_; }
  int broadcast(int value, int root = 0);
  [[noreturn]] void abort(int code);

 private:
  int rank_ = 0, size_ = 1, local_rank_ = 0, local_size_ = 1;
  bool threads_concurrent_ = false;
  std::vector<std::string> hosts_;
  MPI_Comm commands_comm_ = MPI_COMM_NULL, reports_comm_ = MPI_COMM_NULL;
  Mailbox commands_, reports_;
};

// Waits for the next message on `comm`, sleeping between probes (see MpiContext::receive); with a
// timeout, returns nothing when none came within `timeout_s` seconds.
Message receive_polite(MPI_Comm comm);
std::optional<Message> receive_polite(MPI_Comm comm, double timeout_s);

// The rank a launcher (mpirun, srun, a PMI) gave this process, read from `env` (getenv by
// default); nothing when it was started alone, as an MPI singleton.
using EnvLookup = std::function<const char*(const char*)>;
const char* process_env(const char* var);  // std::getenv
std::optional<int> launcher_rank(const EnvLookup& env = process_env);

// Open MPI's parameters for a process started alone, each one unless the user set it: its world is
// itself, so it needs no daemon (that serves MPI_Comm_spawn, never called here) and no network
// layer (UCX probes every device). Together they took 0.33 s of each start here.
std::vector<std::pair<std::string, std::string>> singleton_settings(
    const EnvLookup& env = process_env);

// Cores this process may run on (its affinity mask), at least 1.
int cores_available();
// Cores of this node that are online, at least 1.
int cores_on_node();

}  // namespace cluster
