#include "cluster/blas.h"

#include <dlfcn.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>
#include <sstream>

namespace cluster {
namespace {

// OpenBLAS 0.3.21's x86-64 kernels by what they need of the CPU: 0 SSE only, 1 AVX, 2 AVX2 and
// FMA, 3 AVX-512 (F, BW, VL, DQ), 4 AVX-512 with BF16. Names as openblas_get_corename() gives
// them, lower-cased.
int tier_of(const std::string& kernel) {
  static const std::array<std::pair<const char*, int>, 16> kTiers = {{
      {"prescott", 0}, {"core2", 0}, {"penryn", 0}, {"dunnington", 0}, {"nehalem", 0},
      {"atom", 0}, {"katmai", 0}, {"northwood", 0}, {"sandybridge", 1}, {"bulldozer", 1},
      {"haswell", 2}, {"zen", 2}, {"excavator", 2}, {"skylakex", 3}, {"cooperlake", 4},
      {"sapphirerapids", 5},
  }};
  std::string k = kernel;
  std::transform(k.begin(), k.end(), k.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const auto& [name, tier] : kTiers)
    if (k == name) return tier;
  return -1;
}

int cpu_tier(const std::set<std::string>& f) {
  auto has = [&](std::initializer_list<const char*> names) {
    return std::all_of(names.begin(), names.end(), [&](const char* n) { return f.count(n) > 0; });
  };
  if (has({"avx512f", "avx512bw", "avx512vl", "avx512dq"}))
    return has({"avx512_bf16"}) ? 4 : 3;
  if (has({"avx2", "fma"})) return 2;
  return has({"avx"}) ? 1 : 0;
}

}  // namespace

BlasInfo loaded_blas() {
  BlasInfo info;
  using Text = char* (*)();
  if (auto corename = reinterpret_cast<Text>(dlsym(RTLD_DEFAULT, "openblas_get_corename")))
    info.kernel = corename();
  if (auto config = reinterpret_cast<Text>(dlsym(RTLD_DEFAULT, "openblas_get_config")))
    info.library = config();
  return info;
}

std::set<std::string> cpu_flags(const std::string& cpuinfo) {
  std::istringstream in(cpuinfo);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("flags", 0) != 0) continue;
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::istringstream words(line.substr(colon + 1));
    std::set<std::string> flags;
    for (std::string w; words >> w;) flags.insert(w);
    return flags;
  }
  return {};
}

std::set<std::string> this_cpu_flags() {
  std::ifstream in("/proc/cpuinfo");
  std::stringstream text;
  text << in.rdbuf();
  return cpu_flags(text.str());
}

std::optional<KernelChoice> better_kernel(const std::string& chosen,
                                          const std::set<std::string>& flags,
                                          const char* env_coretype) {
  static const std::array<const char*, 5> kBest = {"", "SANDYBRIDGE", "HASWELL", "SKYLAKEX",
                                                   "COOPERLAKE"};
  if (env_coretype) return std::nullopt;
  const int have = tier_of(chosen), can = cpu_tier(flags);
  // Only a fallback is replaced: a kernel made for this CPU family (Zen, SkylakeX) stands even
  // where a higher tier would run.
  if (have < 0 || have > 1 || can <= have) return std::nullopt;
  KernelChoice c;
  c.coretype = kBest[static_cast<std::size_t>(can)];
  c.why = "OpenBLAS chose its " + chosen + " kernel on a CPU with " +
          (can >= 3 ? "AVX-512" : can == 2 ? "AVX2 and FMA" : "AVX") + ": using " + c.coretype +
          " (OPENBLAS_CORETYPE; set it yourself to choose another)";
  return c;
}

}  // namespace cluster
