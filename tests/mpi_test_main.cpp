#include "tests/mpi_test_main.h"

#include <gtest/gtest.h>

cluster::MpiContext* g_mpi = nullptr;

int main(int argc, char** argv) {
  cluster::MpiContext mpi(&argc, &argv);
  g_mpi = &mpi;
  ::testing::InitGoogleTest(&argc, argv);
  // Under mpirun every rank runs every test; one report is enough.
  if (mpi.rank() != 0)
    delete ::testing::UnitTest::GetInstance()->listeners().Release(
        ::testing::UnitTest::GetInstance()->listeners().default_result_printer());
  return RUN_ALL_TESTS();
}
