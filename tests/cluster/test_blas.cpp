#include "cluster/blas.h"

#include <gtest/gtest.h>

namespace {

const std::set<std::string> kSse = {"sse", "sse2", "ssse3", "sse4_1", "sse4_2"};
std::set<std::string> with(std::set<std::string> base, std::initializer_list<const char*> more) {
  for (const char* f : more) base.insert(f);
  return base;
}
const auto kAvx = with(kSse, {"avx"});
const auto kAvx2 = with(kAvx, {"avx2", "fma"});
const auto kAvx512 = with(kAvx2, {"avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"});
const auto kBf16 = with(kAvx512, {"avx512_bf16", "amx_tile"});

}  // namespace

TEST(Blas, TheKernelChoiceAsATable) {
  struct Row {
    const char* chosen;
    std::set<std::string> flags;
    const char* env;       // OPENBLAS_CORETYPE as the user set it, or null
    const char* expected;  // the kernel to use instead, or "" for none
    const char* why;
  };
  const Row rows[] = {
      {"Prescott", kBf16, nullptr, "COOPERLAKE", "a new Xeon OpenBLAS 0.3.21 does not know"},
      {"Prescott", kAvx512, nullptr, "SKYLAKEX", "AVX-512 without BF16"},
      {"Prescott", kAvx2, nullptr, "HASWELL", "AVX2 and FMA"},
      {"Nehalem", kAvx, nullptr, "SANDYBRIDGE", "AVX only"},
      {"Sandybridge", kAvx2, nullptr, "HASWELL", "AVX kernel on an AVX2 CPU"},
      {"Prescott", kSse, nullptr, "", "an old CPU: Prescott is right"},
      {"Prescott", kBf16, "PRESCOTT", "", "the user's setting stands"},
      {"Prescott", kBf16, "", "", "even set to nothing"},
      {"Zen", kBf16, nullptr, "", "a kernel for the CPU's family stands"},
      {"Haswell", kAvx512, nullptr, "", "not a fallback"},
      {"SkylakeX", kBf16, nullptr, "", "not a fallback"},
      {"", kBf16, nullptr, "", "not OpenBLAS"},
      {"Frobnicator", kBf16, nullptr, "", "a kernel this table does not know"},
  };
  for (const auto& r : rows) {
    const auto c = cluster::better_kernel(r.chosen, r.flags, r.env);
    EXPECT_EQ(c ? c->coretype : "", r.expected) << r.chosen << ": " << r.why;
    if (c) {
      EXPECT_NE(c->why.find(r.chosen), std::string::npos) << c->why;
    }
  }
}

TEST(Blas, FlagsFromCpuinfo) {
  const auto f = cluster::cpu_flags(
      "processor\t: 0\nmodel name\t: Xeon\nflags\t\t: fpu sse avx2 avx512f\nbugs\t: none\n");
  EXPECT_EQ(f, (std::set<std::string>{"fpu", "sse", "avx2", "avx512f"}));
  EXPECT_TRUE(cluster::cpu_flags("no flags here\n").empty());
}

TEST(Blas, CacheSizesAsSysfsWritesThem) {
  EXPECT_EQ(cluster::cache_size_bytes("32768K"), 32 << 20);
  EXPECT_EQ(cluster::cache_size_bytes("512K"), 512 << 10);
  EXPECT_EQ(cluster::cache_size_bytes("2M"), 2 << 20);
  EXPECT_EQ(cluster::cache_size_bytes("1024"), 1024);
  EXPECT_EQ(cluster::cache_size_bytes(""), 0);
}
