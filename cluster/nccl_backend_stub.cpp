// Compiled instead of nccl_backend.cpp when RUNNER_WITH_NCCL is off: the runner then trains on
// CPUs, and a GPU trial with several ranks fails with this message instead of not building.
#include <stdexcept>

#include "cluster/nccl_backend.h"

namespace cluster {

std::unique_ptr<Backend> make_nccl_backend(Group&, int device, double) {
  throw std::runtime_error("no data-parallel backend for GPU " + std::to_string(device) +
                           ": this runner was built without NCCL (RUNNER_WITH_NCCL=OFF)");
}

bool nccl_built() { return false; }

}  // namespace cluster
