#pragma once
// The MPI world of a test binary linked with tests/mpi_test_main.cpp: its main() initialises MPI,
// keeps the context here for the tests, and prints results on rank 0 only.
#include "cluster/mpi_context.h"

extern cluster::MpiContext* g_mpi;
