// The MPI world and its groups: node layout, and how training ranks split into groups.
#include <gtest/gtest.h>

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
