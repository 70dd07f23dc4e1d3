#pragma once
// The NCCL backend for groups whose tensors live on GPUs. CMake compiles nccl_backend.cpp when
// RUNNER_WITH_NCCL is on, and nccl_backend_stub.cpp otherwise, so nothing outside this folder
// needs an #if.
#include <memory>

#include "cluster/backend.h"

namespace cluster {

class Group;

// Collective over `group`. The stub throws, saying the runner was built without NCCL.
std::unique_ptr<Backend> make_nccl_backend(Group& group, int device, double timeout_s);
// Whether this build has the NCCL backend (RUNNER_WITH_NCCL).
bool nccl_built();

}  // namespace cluster
