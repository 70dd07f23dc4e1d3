#pragma once
#include <string>

namespace util {

// This machine's host name (its UTS name: what MPI reports, and what `unshare -u` changes).
std::string host_name();

}  // namespace util
