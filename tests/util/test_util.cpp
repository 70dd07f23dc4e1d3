// The small shared pieces: hashes, shuffles, polling, errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <random>

#include "util/errors.h"
#include "util/hash.h"
#include "util/poll.h"
#include "util/shuffle.h"

TEST(Hash, NeverChangesItsValues) {
  // Every stored trial id and seed derives from these: a change would make a rerun of a sweep
  // train every trial again under new ids. (The offset basis is not FNV's published one; see
  // util/hash.h.)
  EXPECT_EQ(util::fnv1a64(""), 1469598103934665603ULL);
  EXPECT_EQ(util::fnv1a64("a"), 4953267810257967366ULL);
  EXPECT_EQ(util::fnv1a64("foobar"), 9870438755804841970ULL);
  EXPECT_EQ(util::hex64(util::stable_hash64("reproduce")), "79e30846413f7ab3");
  EXPECT_EQ(util::hex64(0xabcULL), "0000000000000abc");
  // The mixer spreads a one-character change over the whole hash.
  const auto a = util::stable_hash64("x/repeat/0"), b = util::stable_hash64("x/repeat/1");
  EXPECT_GE(__builtin_popcountll(a ^ b), 16);
  EXPECT_NE(util::hex64(a).substr(0, 12), util::hex64(b).substr(0, 12));
}

TEST(Shuffle, PermutesEveryIndexOnceTheSameWayForTheSameSeed) {
  std::mt19937_64 r1(42), r2(42), r3(43);
  const auto p = util::permutation(1000, r1);
  auto sorted = p;
  std::sort(sorted.begin(), sorted.end());
  for (std::int64_t i = 0; i < 1000; ++i) ASSERT_EQ(sorted[i], i);
  EXPECT_EQ(util::permutation(1000, r2), p);
  EXPECT_NE(util::permutation(1000, r3), p);
  std::mt19937_64 r4(1);
  std::vector<int> one = {7};
  util::shuffle(one, r4);
  EXPECT_EQ(one, std::vector<int>{7});
}

TEST(Poll, ReturnsOnceReadyAndGivesUpAtTheDeadline) {
  int calls = 0;
  EXPECT_TRUE(util::poll_until([&] { return ++calls == 5; }, 10, util::kCollectiveBackoff));
  EXPECT_EQ(calls, 5);
  calls = 0;
  EXPECT_TRUE(util::poll_until([&] { return ++calls > 0; }, 0, util::kMessageBackoff))
      << "called once even with no time to wait";
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(util::poll_until([] { return false; }, 0.05, util::kMessageBackoff));
  const double waited =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_GE(waited, 0.05);
}

TEST(Errors, InputErrorsExitWithTwoAndNameWhere) {
  const util::InputError e({"s.toml", 3}, "model.latent", "must be > 0");
  EXPECT_STREQ(e.what(), "s.toml:3: key 'model.latent': must be > 0");
  EXPECT_EQ(util::exit_code_for(e), util::kExitInvalid);
  EXPECT_STREQ(util::usage_error("--db PATH is required").what(),
               "command line: --db PATH is required");
  EXPECT_EQ(util::exit_code_for(std::runtime_error("disk full")), util::kExitFailure);
  EXPECT_THROW(util::check_syscall(-1, "chmod x"), std::runtime_error);
  EXPECT_NO_THROW(util::check_syscall(0, "chmod x"));
}
