#include "cluster/group.h"

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <map>

#include "util/host.h"
#include "util/poll.h"

namespace cluster {

Layout::Layout(const std::vector<std::string>& hosts, int g, bool scheduler_trains)
    : ranks_per_trial(g) {
  const int world = static_cast<int>(hosts.size());
  // Training ranks by node, nodes in the order of their lowest rank.
  std::vector<std::string> nodes;
  std::map<std::string, std::vector<int>> on_node;
  const int first = (scheduler_trains || world == 1) ? 0 : 1;  // one process always trains
  trainers = world - first;
  for (int r = first; r < world; ++r) {
    if (!on_node.count(hosts[r])) nodes.push_back(hosts[r]);
    on_node[hosts[r]].push_back(r);
  }
  std::vector<int> left_over;
  for (const auto& node : nodes) {
    const auto& ranks = on_node[node];
    const std::size_t whole = ranks.size() - ranks.size() % g;
    for (std::size_t i = 0; i < whole; i += g) groups.emplace_back(&ranks[i], &ranks[i] + g);
    left_over.insert(left_over.end(), ranks.begin() + whole, ranks.end());
  }
  const std::size_t whole = left_over.size() - left_over.size() % g;
  for (std::size_t i = 0; i < whole; i += g) {
    std::vector<int> members(&left_over[i], &left_over[i] + g);
    std::sort(members.begin(), members.end());
    spanning.push_back(count());
    groups.push_back(std::move(members));
  }
  idle.assign(left_over.begin() + whole, left_over.end());
  group_by_rank_.assign(world, -1);
  for (int i = 0; i < count(); ++i)
    for (int r : groups[i]) group_by_rank_[r] = i;
}

Layout::Layout(const MpiContext& mpi, int g) : Layout(mpi.hosts(), g, mpi.threads_concurrent()) {}

int Layout::group_of(int rank) const {
  return rank >= 0 && rank < static_cast<int>(group_by_rank_.size()) ? group_by_rank_[rank] : -1;
}

Group::Group(MpiContext& mpi, const Layout& layout) : mpi_(mpi) {
  int g = layout.group_of(mpi.rank());
  MPI_CHECK(MPI_Comm_split(MPI_COMM_WORLD, g < 0 ? MPI_UNDEFINED : g, mpi.rank(), &comm_));
  if (comm_ == MPI_COMM_NULL) return;
  MPI_CHECK(MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN));
  MPI_CHECK(MPI_Comm_rank(comm_, &rank_));
  MPI_CHECK(MPI_Comm_size(comm_, &size_));
  world_ranks_ = layout.members(g);
}

Group::Group(MpiContext& mpi, MPI_Comm parent) : mpi_(mpi) {
  MPI_CHECK(MPI_Comm_dup(parent, &comm_));
  MPI_CHECK(MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN));
  MPI_CHECK(MPI_Comm_rank(comm_, &rank_));
  MPI_CHECK(MPI_Comm_size(comm_, &size_));
  world_ranks_.resize(size_);
  int me = mpi.rank();
  MPI_CHECK(MPI_Allgather(&me, 1, MPI_INT, world_ranks_.data(), 1, MPI_INT, comm_));
}

Group::~Group() {
  if (comm_ != MPI_COMM_NULL) MPI_Comm_free(&comm_);
}

void Group::send(int dest, int tag, const std::string& bytes) {
  MPI_CHECK(MPI_Send(bytes.data(), static_cast<int>(bytes.size()), MPI_BYTE, dest, tag, comm_));
}

Message Group::receive() {
  return receive_polite(comm_);
}

std::vector<std::string> Group::gather_strings(const std::string& mine, double timeout_s) {
  int len = static_cast<int>(mine.size());
  std::vector<int> lens(size_);
  MPI_Request req;
  MPI_CHECK(MPI_Iallgather(&len, 1, MPI_INT, lens.data(), 1, MPI_INT, comm_, &req));
  wait_or_abort(req, "MPI_Iallgather of message lengths", timeout_s);
  std::vector<int> offsets(size_, 0);
  for (int r = 1; r < size_; ++r) offsets[r] = offsets[r - 1] + lens[r - 1];
  std::string all(static_cast<std::size_t>(offsets.back() + lens.back()), '\0');
  MPI_CHECK(MPI_Iallgatherv(mine.data(), len, MPI_CHAR, all.data(), lens.data(), offsets.data(),
                            MPI_CHAR, comm_, &req));
  wait_or_abort(req, "MPI_Iallgatherv of messages", timeout_s);
  std::vector<std::string> out;
  for (int r = 0; r < size_; ++r) out.push_back(all.substr(offsets[r], lens[r]));
  return out;
}

void wait_or_abort(MPI_Request& request, const std::string& what, double timeout_s) {
  auto done = [&] {
    int flag = 0;
    MPI_CHECK(MPI_Test(&request, &flag, MPI_STATUS_IGNORE));
    return flag != 0;
  };
  if (util::poll_until(done, timeout_s, util::kCollectiveBackoff)) return;
  abort_job_stuck(what, timeout_s);
}

void abort_job_stuck(const std::string& what, double timeout_s) {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  std::cerr << "error: " << what << " did not complete within " << timeout_s << " s on rank "
            << rank << " (" << util::host_name()
            << "): a rank of the group died or hangs. Aborting the job; rerun to "
            << "continue the sweep (cluster.collective_timeout_s sets the limit)." << std::endl;
  MPI_Abort(MPI_COMM_WORLD, 1);
  std::_Exit(1);
}

}  // namespace cluster
