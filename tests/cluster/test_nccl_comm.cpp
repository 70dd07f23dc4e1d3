// When the ranks of one group may share an NCCL communicator: decided from each rank's host and
// PCI bus id, by every rank alike. Built where the CUDA toolkit and NCCL are; needs no GPU.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cluster/nccl_comm.h"

namespace {

struct PlacementRow {
  const char* layout;
  std::vector<std::string> ids;         // per group rank: "host/bus id", or "!why"
  std::vector<std::string> in_verdict;  // all must appear; none: no conflict
};

const PlacementRow kRows[] = {
    {"two GPUs of one node", {"n0/0000:1B:00.0", "n0/0000:3D:00.0"}, {}},
    {"one GPU per task on two nodes: same bus id, other hosts",
     {"n0/0000:1B:00.0", "n1/0000:1B:00.0"},
     {}},
    {"two ranks on one GPU",
     {"n0/0000:1B:00.0", "n0/0000:3D:00.0", "n0/0000:1B:00.0"},
     {"group ranks 0 and 2 are both on GPU n0/0000:1B:00.0", "lower cluster.ranks_per_trial"}},
    {"a rank whose GPU could not be set",
     {"n0/0000:1B:00.0", "!CUDA error on n1: invalid device ordinal"},
     {"group rank 1: CUDA error on n1: invalid device ordinal"}},
};

}  // namespace

TEST(NcclComm, RanksShareACommunicatorOnlyOnDistinctGpus) {
  for (const auto& row : kRows) {
    const std::string verdict = cluster::placement_conflict(row.ids);
    if (row.in_verdict.empty()) {
      EXPECT_EQ(verdict, "") << row.layout;
    }
    for (const auto& part : row.in_verdict)
      EXPECT_NE(verdict.find(part), std::string::npos) << row.layout << ": " << verdict;
  }
}
