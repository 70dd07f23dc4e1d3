#pragma once
// The ranks that train one trial together. Rank 0 schedules and trains too (on its own thread, when
// MPI allows threads to call it at once). Groups of cluster.ranks_per_trial ranks are made within
// each node, whatever the rank order, so a group's allreduce stays in the node; ranks a node has
// left over form groups across nodes (said in `spanning`), and the last few may sit idle. A group
// has its own communicator, so its collectives never mix with another group's.
#include <mpi.h>

#include <string>
#include <vector>

#include "cluster/mpi_context.h"

namespace cluster {

struct Layout {
  int ranks_per_trial = 1;
  std::vector<std::vector<int>> groups;  // world ranks of each group, ascending
  std::vector<int> idle;                 // training ranks left without a group
  std::vector<int> spanning;             // groups whose members are on more than one node
  int trainers = 0;                      // ranks that train (every rank, or all but rank 0)

  // `hosts`: the host of each world rank. `scheduler_trains`: whether rank 0 is a training rank
  // too (with one process it always is).
  Layout(const std::vector<std::string>& hosts, int ranks_per_trial, bool scheduler_trains);
  // The layout of this job's world.
  Layout(const MpiContext& mpi, int ranks_per_trial);
  int count() const { return static_cast<int>(groups.size()); }
  const std::vector<int>& members(int g) const { return groups[g]; }
  // The group of a world rank, or -1 for a rank that does not train.
  int group_of(int rank) const;

 private:
  std::vector<int> group_by_rank_;
};

class Group {
 public:
  // Collective over the world: every rank calls it with the same layout.
  Group(MpiContext& mpi, const Layout& layout);
  // Every rank of `parent` (MPI_COMM_WORLD, or MPI_COMM_SELF for a group of one) in one group.
  Group(MpiContext& mpi, MPI_Comm parent);
  ~Group();
  Group(const Group&) = delete;
  Group& operator=(const Group&) = delete;

  bool active() const { return comm_ != MPI_COMM_NULL; }
  int rank() const { return rank_; }  // within the group; 0 is the group root
  int size() const { return size_; }
  MPI_Comm comm() const { return comm_; }
  const std::vector<int>& world_ranks() const { return world_ranks_; }
  MpiContext& world() { return mpi_; }

  void send(int dest, int tag, const std::string& bytes);
  Message receive();  // polite, like MpiContext::receive
  // Every rank's string, indexed by group rank, on every rank. Collective; aborts the job when a
  // rank does not join within `timeout_s` (see wait_or_abort). Used to agree before a trial and
  // to report why it failed: rare and small, so it goes over MPI whatever the device.
  std::vector<std::string> gather_strings(const std::string& mine, double timeout_s);

 private:
  MpiContext& mpi_;
  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0, size_ = 1;
  std::vector<int> world_ranks_;
};

// Waits for a non-blocking MPI operation without spinning a core. If it has not completed after
// `timeout_s` (a rank died or hangs), prints what was waited for, on which rank and host, and
// aborts the whole job: a stuck collective must never hang a cluster allocation.
void wait_or_abort(MPI_Request& request, const std::string& what, double timeout_s);
// Says what did not complete within `timeout_s`, on which rank and host, and aborts the job.
[[noreturn]] void abort_job_stuck(const std::string& what, double timeout_s);

}  // namespace cluster
