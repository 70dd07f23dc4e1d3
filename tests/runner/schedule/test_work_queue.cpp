// The work queue and the rule that forms fused arrays (runner/schedule/work_queue.cpp and
// arrays.cpp), with a fake sink and a clock the test moves: no MPI, no LibTorch, no waiting.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <tuple>

#include "runner/schedule/arrays.h"
#include "runner/schedule/work_queue.h"

namespace {

using Arrays = std::vector<std::vector<std::size_t>>;

TEST(FormArrays, SameShapeInOrderUpToFuse) {
  EXPECT_EQ(runner::form_arrays({"a", "b", "a", "a", "b", "a"}, {}, 2),
            (Arrays{{0, 2}, {1, 4}, {3, 5}}));
  EXPECT_EQ(runner::form_arrays({"a", "b", "a", "a"}, {}, 3), (Arrays{{0, 2, 3}, {1}}));
}

TEST(FormArrays, ATrialThatDoesNotFuseTrainsAlone) {
  EXPECT_EQ(runner::form_arrays({"", "", "a", "a"}, {}, 4), (Arrays{{0}, {1}, {2, 3}}));
  EXPECT_EQ(runner::form_arrays({"a", "a"}, {}, 1), (Arrays{{0}, {1}}));
  EXPECT_FALSE(runner::may_join("", "", 1, 4));
  EXPECT_FALSE(runner::may_join("a", "a", 4, 4));
  EXPECT_TRUE(runner::may_join("a", "a", 3, 4));
}

// A shape's limit on the CPU caps its arrays below cluster.fuse; 0 leaves cluster.fuse to decide.
TEST(FormArrays, AShapesLimitCapsItsArrays) {
  EXPECT_EQ(runner::form_arrays({"a", "b", "a", "b", "a", "b"}, {2, 0, 2, 0, 2, 0}, 16),
            (Arrays{{0, 2}, {1, 3, 5}, {4}}));
  EXPECT_EQ(runner::form_arrays({"a", "a", "a"}, {1, 1, 1}, 16), (Arrays{{0}, {1}, {2}}));
  EXPECT_EQ(runner::form_arrays({"a", "a", "a"}, {8, 8, 8}, 2), (Arrays{{0, 1}, {2}}));
}

// Members whose optimizer state fits a quarter of the cache, at least one; no limit when the
// cache size is unknown. The rows are bench/fuse.sh's models on this machine's 32 MB L3: the
// small AE (101,928 values, 1.6 MB a member) fuses by 4, the 784-256-64 (434,000 values, 6.9 MB)
// trains alone, where K = 4 was the fastest and K = 1 was, measured.
TEST(FormArrays, CpuLimitFitsAQuarterOfTheCache) {
  const std::int64_t mb = 1 << 20;
  const std::vector<std::tuple<std::int64_t, std::int64_t, std::int64_t>> rows = {
      {101928 * 16, 32 * mb, 5},
      {434000 * 16, 32 * mb, 1},
      {mb, 32 * mb, 8},
      {64 * mb, 32 * mb, 1},
      {mb, 0, 0},
      {0, 32 * mb, 0}};
  for (const auto& [member, cache, limit] : rows)
    EXPECT_EQ(runner::cpu_array_limit(member, cache), limit) << member << " " << cache;
  EXPECT_EQ(runner::fuse_within(16, 4), 4);
  EXPECT_EQ(runner::fuse_within(2, 4), 2);
  EXPECT_EQ(runner::fuse_within(16, 0), 16);
}

class FakeClock : public runner::Clock {
 public:
  double now_s() const override { return now; }
  double now = 1000;
};

// Claims what nobody else holds; `elsewhere` trials are another run's until it lets them go.
struct FakeSink : runner::Sink {
  std::map<std::string, results::Holder> elsewhere;
  std::map<std::string, runner::ResumePoint> checkpoints;
  std::set<std::string> set_aside_ids;
  std::vector<std::vector<std::string>> arrays;
  int holder_calls = 0;
  bool started(runner::Assignment& a, const std::vector<int>&,
               const std::vector<std::string>&) override {
    if (elsewhere.count(a.trial_id)) return false;
    if (auto it = checkpoints.find(a.trial_id); it != checkpoints.end()) a.resume = it->second;
    return true;
  }
  results::Holder holder(const std::string& id) override {
    ++holder_calls;
    auto it = elsewhere.find(id);
    return it == elsewhere.end() ? results::Holder::kNobody : it->second;
  }
  bool holds(const std::string&) override { return true; }
  void lost(const std::string&) override {}
  void set_aside(const std::string& id) override { set_aside_ids.insert(id); }
  void formed_array(const std::vector<runner::Assignment>& members) override {
    arrays.emplace_back();
    for (const auto& a : members) arrays.back().push_back(a.trial_id);
  }
  bool epoch(const runner::EpochReport&) override { return true; }
  void finished(const runner::TrialResult&) override {}
  void stale(const std::string&, const std::string&) override {}
};

std::vector<runner::Assignment> trials(const std::vector<std::string>& shapes) {
  std::vector<runner::Assignment> out;
  for (std::size_t i = 0; i < shapes.size(); ++i) {
    runner::Assignment a;
    a.trial_id = "t" + std::to_string(i);
    a.shape = shapes[i];
    out.push_back(a);
  }
  return out;
}

std::vector<std::string> ids(const std::vector<runner::Assignment>& array) {
  std::vector<std::string> out;
  for (const auto& a : array) out.push_back(a.trial_id);
  return out;
}

TEST(WorkQueue, FormsArraysAsThePlanShowsThem) {
  FakeSink sink;
  FakeClock clock;
  runner::WorkQueue queue(trials({"a", "b", "a", "", "a"}), sink, clock);
  EXPECT_EQ(ids(queue.next_array({0}, {"h"}, 2)), (std::vector<std::string>{"t0", "t2"}));
  EXPECT_EQ(ids(queue.next_array({0}, {"h"}, 2)), (std::vector<std::string>{"t1"}));
  EXPECT_EQ(ids(queue.next_array({0}, {"h"}, 2)), (std::vector<std::string>{"t3"}));
  EXPECT_EQ(ids(queue.next_array({0}, {"h"}, 2)), (std::vector<std::string>{"t4"}));
  EXPECT_FALSE(queue.has_work());
  EXPECT_EQ(sink.arrays, (std::vector<std::vector<std::string>>{{"t0", "t2"}}));
}

TEST(WorkQueue, AShapesLimitCapsTheArraysItForms) {
  FakeSink sink;
  FakeClock clock;
  auto todo = trials({"a", "a", "a", "a"});
  for (auto& a : todo) a.fuse_limit = 3;
  runner::WorkQueue queue(todo, sink, clock);
  EXPECT_EQ(ids(queue.next_array({0}, {"h"}, 16)), (std::vector<std::string>{"t0", "t1", "t2"}));
  EXPECT_EQ(ids(queue.next_array({0}, {"h"}, 16)), (std::vector<std::string>{"t3"}));
}

TEST(WorkQueue, AMemberResumingElsewhereIsSetAsideForALaterArray) {
  FakeSink sink;
  FakeClock clock;
  sink.checkpoints["t1"] = {0, 3, 0, 120};
  runner::WorkQueue queue(trials({"a", "a", "a"}), sink, clock);
  EXPECT_EQ(ids(queue.next_array({0}, {"h"}, 3)), (std::vector<std::string>{"t0", "t2"}));
  EXPECT_EQ(sink.set_aside_ids, std::set<std::string>{"t1"});
  EXPECT_EQ(ids(queue.next_array({0}, {"h"}, 3)), (std::vector<std::string>{"t1"}));
}

// Trials another run holds are looked at again at most once a second, unless asked now; the
// clock moves, nobody sleeps.
TEST(WorkQueue, LooksAgainAtTrialsHeldElsewhereOnceASecond) {
  FakeSink sink;
  FakeClock clock;
  sink.elsewhere["t0"] = results::Holder::kLiveRun;
  runner::WorkQueue queue(trials({"a"}), sink, clock);
  EXPECT_TRUE(queue.next_array({0}, {"h"}, 1).empty());
  const int calls = sink.holder_calls;
  clock.now += runner::WorkQueue::kLookElsewhereS / 2;
  queue.look_elsewhere();
  EXPECT_EQ(sink.holder_calls, calls) << "too soon";
  sink.elsewhere.erase("t0");  // that run let it go
  clock.now += runner::WorkQueue::kLookElsewhereS;
  queue.look_elsewhere();
  EXPECT_EQ(sink.holder_calls, calls + 1);
  ASSERT_TRUE(queue.has_work());
  EXPECT_EQ(ids(queue.next_array({0}, {"h"}, 1)), (std::vector<std::string>{"t0"}));
}

TEST(WorkQueue, WaitsOnlyForTrialsOfAQuietRun) {
  FakeSink sink;
  FakeClock clock;
  sink.elsewhere["t0"] = results::Holder::kQuietRun;
  runner::WorkQueue queue(trials({"a"}), sink, clock);
  EXPECT_TRUE(queue.next_array({0}, {"h"}, 1).empty());
  queue.look_elsewhere(/*now_anyway=*/true);
  EXPECT_TRUE(queue.worth_waiting());
  sink.elsewhere["t0"] = results::Holder::kFinished;
  queue.look_elsewhere(/*now_anyway=*/true);
  EXPECT_FALSE(queue.worth_waiting());
  EXPECT_FALSE(queue.has_work());
}

}  // namespace
