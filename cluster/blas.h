#pragma once
// The BLAS that LibTorch multiplies with, the kernel it chose for this CPU, and a better one when
// it fell back to a generic kernel. Debian 12's OpenBLAS 0.3.21 does not know the newest Xeons and
// takes its SSE-only `Prescott` kernel there: 3x slower sgemm than its AVX-512 `SkylakeX`
// kernel on the same core. OpenBLAS reads OPENBLAS_CORETYPE once, as it is loaded, so the runner
// sets it and starts itself again (runner/main.cpp), and only where the user has not set it.
#include <cstdint>
#include <optional>
#include <set>
#include <string>

namespace cluster {

struct BlasInfo {
  std::string library;  // "OpenBLAS 0.3.21 ..." (its config string), or "" when not OpenBLAS
  std::string kernel;   // what openblas_get_corename() says, "" when not OpenBLAS
};
// Of the BLAS loaded in this process (looked up by symbol: no link to OpenBLAS needed).
BlasInfo loaded_blas();

// The flags of the "flags" line of /proc/cpuinfo's text (avx2, avx512f, ...).
std::set<std::string> cpu_flags(const std::string& cpuinfo);
std::set<std::string> this_cpu_flags();

struct KernelChoice {
  std::string coretype;  // the OPENBLAS_CORETYPE to use: SANDYBRIDGE, HASWELL, SKYLAKEX, COOPERLAKE
  std::string why;       // one line for the user
};
// The kernel to use instead of `chosen` (OpenBLAS's name for its choice) on a CPU with `flags`,
// when `chosen` is a generic fallback (SSE only, or AVX on a CPU with AVX2) and the CPU supports
// a better one; none when OPENBLAS_CORETYPE is set (`env_coretype` not null: the user's choice
// stands), when `chosen` is unknown, or when it already fits the CPU (Haswell, Zen, SkylakeX ...).
std::optional<KernelChoice> better_kernel(const std::string& chosen,
                                          const std::set<std::string>& flags,
                                          const char* env_coretype);

// A cache size as Linux writes it in sysfs ("32768K") in bytes.
std::int64_t cache_size_bytes(const std::string& text);
// The size of this CPU's last-level cache (L3, else L2) in bytes; 0 when the system does not say.
std::int64_t last_level_cache_bytes();

}  // namespace cluster
