// The MPI world and its groups: node layout, and how training ranks split into groups.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "cluster/group.h"
#include "tests/mpi_test_main.h"

// "abab": rank r on node s[r]. Groups are written "0,2|1,3".
struct LayoutCase {
  const char* nodes;
  int per_trial;
  bool scheduler_trains;
  const char* groups;
  const char* idle;
  int spanning;  // groups across nodes
};

constexpr LayoutCase kLayoutCases[] = {
    {"a", 1, true, "0", "", 0},     // one process trains alone
    {"a", 2, true, "", "0", 0},     // and cannot make a group of two
    {"aa", 2, true, "0,1", "", 0},  // rank 0 trains in the first group
    {"aa", 2, false, "", "1", 0},   // unless MPI cannot let it
    {"aaaaaaaa", 3, false, "1,2,3|4,5,6", "7", 0},
    {"aaabbb", 3, true, "0,1,2|3,4,5", "", 0},  // block order: one group per node
    {"ababab", 3, true, "0,2,4|1,3,5", "", 0},  // round-robin order: still one per node
    {"abab", 2, true, "0,2|1,3", "", 0},
    {"abcabc", 2, true, "0,3|1,4|2,5", "", 0},  // three nodes, round robin
    {"aaabbb", 2, true, "0,1|3,4|2,5", "", 1},  // 2 does not divide 3: one group spans
    {"aaabbbccc", 2, true, "0,1|3,4|6,7|2,5", "8", 1},
    {"abcd", 2, false, "1,2", "3", 1},  // rank 0 schedules only; nodes of one rank
};

std::string joined(const std::vector<int>& v, const char* sep = ",") {
  std::string out;
  for (int r : v) out += (out.empty() ? "" : sep) + std::to_string(r);
  return out;
}

TEST(Layout, GroupsStayInsideANodeWhateverTheRankOrder) {
  for (const auto& c : kLayoutCases) {
    std::vector<std::string> hosts;
    for (const char* n = c.nodes; *n; ++n) hosts.emplace_back(1, *n);
    const cluster::Layout l(hosts, c.per_trial, c.scheduler_trains);
    std::string groups;
    for (int g = 0; g < l.count(); ++g) {
      groups += (g ? "|" : "") + joined(l.members(g));
      for (int r : l.members(g)) EXPECT_EQ(l.group_of(r), g) << c.nodes;
    }
    EXPECT_EQ(groups, c.groups) << c.nodes << " by " << c.per_trial;
    EXPECT_EQ(joined(l.idle), c.idle) << c.nodes << " by " << c.per_trial;
    EXPECT_EQ(static_cast<int>(l.spanning.size()), c.spanning) << c.nodes << " by " << c.per_trial;
    for (int r : l.idle) EXPECT_EQ(l.group_of(r), -1);
    const int first = c.scheduler_trains || hosts.size() == 1 ? 0 : 1;
    EXPECT_EQ(l.trainers, static_cast<int>(hosts.size()) - first) << c.nodes;
    EXPECT_EQ(l.trainers, l.count() * c.per_trial + static_cast<int>(l.idle.size())) << c.nodes;
  }
}

TEST(MpiContext, KnowsTheNodeLayout) {
  EXPECT_GE(g_mpi->local_size(), 1);
  EXPECT_LT(g_mpi->local_rank(), g_mpi->local_size());
  EXPECT_EQ(g_mpi->broadcast(g_mpi->rank() == 0 ? 7 : -1), 7);
}

TEST(Group, GathersEveryRanksStringBySourceNotByArrival) {
  cluster::Group group(*g_mpi, MPI_COMM_WORLD);
  // Later ranks speak first: a gather filed by arrival would put them in the wrong place.
  std::this_thread::sleep_for(std::chrono::milliseconds(30 * (group.size() - group.rank())));
  const std::string mine = group.rank() % 2 ? "" : "rank " + std::to_string(group.rank()) + " says";
  const auto all = group.gather_strings(mine, 60);
  ASSERT_EQ(all.size(), static_cast<std::size_t>(group.size()));
  for (int r = 0; r < group.size(); ++r)
    EXPECT_EQ(all[r], r % 2 ? "" : "rank " + std::to_string(r) + " says") << "from rank " << r;
}
