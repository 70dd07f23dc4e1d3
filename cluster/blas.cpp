#include "cluster/blas.h"

#include <dlfcn.h>
#include <unistd.h>

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

std::int64_t cache_size_bytes(const std::string& text) {
  std::int64_t n = 0;
  std::size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])))
    n = n * 10 + (text[i++] - '0');
  const char unit = i < text.size() ? text[i] : ' ';
  return unit == 'K' ? n << 10 : unit == 'M' ? n << 20 : unit == 'G' ? n << 30 : n;
}

// The kernel's view of cpu0's caches (what lscpu shows). glibc's sysconf reads the CPU's own
// report, which on a virtual machine can be the whole host's: 256 MB of L3 on a 2-core EPYC
// guest whose share is 32 MB.
std::int64_t last_level_cache_bytes() {
  int best_level = 0;
  std::int64_t best = 0;
  for (int index = 0; index < 16; ++index) {
    const std::string dir = "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(index);
    std::ifstream level_file(dir + "/level"), size_file(dir + "/size");
    int level = 0;
    std::string size;
    if (!(level_file >> level) || !(size_file >> size)) continue;
    if (level > best_level) best_level = level, best = cache_size_bytes(size);
  }
  if (best > 0) return best;
  const long bytes = sysconf(_SC_LEVEL3_CACHE_SIZE);
  return bytes > 0 ? bytes : std::max<long>(0, sysconf(_SC_LEVEL2_CACHE_SIZE));
}

}  // namespace cluster
