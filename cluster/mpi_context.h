#pragma once
// The MPI world of one `runner run`: initialisation, who is where, and byte messages between
// ranks. Every MPI call goes through MPI_CHECK, so a failure names the call, file, line and host.
#include <mpi.h>

#include <optional>
#include <string>
#include <vector>

namespace cluster {

void mpi_check(int code, const char* call, const char* file, int line);
#define MPI_CHECK(call) ::cluster::mpi_check((call), #call, __FILE__, __LINE__)

struct Message {
  int source = -1;
  int tag = -1;
  std::string bytes;
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
  // Ranks sharing this rank's node, and this rank's index among them.
  int local_size() const { return local_size_; }
  int local_rank() const { return local_rank_; }

  void send(int dest, int tag, const std::string& bytes);
  // Waits for the next message from anyone. Polls with short sleeps: Open MPI's blocking receive
  // spins a core, which would starve the training threads of the ranks beside it.
  Message receive();
  // The same, but gives up after `seconds` (so the caller can look at signals while it waits).
  std::optional<Message> receive_for(double seconds);
  // Takes a message with this tag from `source` if one is waiting; never waits.
  std::optional<Message> take_if_waiting(int source, int tag);
  int broadcast(int value, int root = 0);
  [[noreturn]] void abort(int code);

 private:
  int rank_ = 0, size_ = 1, local_rank_ = 0, local_size_ = 1;
  std::vector<std::string> hosts_;
};

// Waits for the next message on `comm`, sleeping between probes (see MpiContext::receive); with a
// timeout, returns nothing when none came within `timeout_s` seconds.
Message receive_polite(MPI_Comm comm);
std::optional<Message> receive_polite(MPI_Comm comm, double timeout_s);

// Cores this process may run on (its affinity mask), at least 1.
int cores_available();
// Cores of this node that are online, at least 1.
int cores_on_node();

}  // namespace cluster
