// The MPI world and its groups: node layout, and how training ranks split into groups.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "cluster/group.h"
#include "tests/mpi_test_main.h"

TEST(Layout, SplitsTrainingRanksIntoGroups) {
  cluster::Layout l(8, 3);  // rank 0 schedules; ranks 1-3 and 4-6 train; rank 7 idles
  EXPECT_EQ(l.groups, 2);
  EXPECT_EQ(l.idle, 1);
  EXPECT_EQ(l.members(1), (std::vector<int>{4, 5, 6}));
  EXPECT_EQ(l.group_of(0), -1);
  EXPECT_EQ(l.group_of(3), 0);
  EXPECT_EQ(l.group_of(4), 1);
  EXPECT_EQ(l.group_of(7), -1);
  EXPECT_EQ(cluster::Layout(1, 1).groups, 1);
  EXPECT_EQ(cluster::Layout(1, 2).groups, 0);
  EXPECT_EQ(cluster::Layout(2, 2).groups, 0);
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
