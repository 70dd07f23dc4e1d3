// Several runs on one database (results/leases.h): each is a Store of its own on the same file,
// as two processes would be.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sstream>

#include "results/console.h"
#include "results/store.h"

namespace {

using results::Holder;

std::string temp_db() {
  char tmpl[] = "/tmp/runner-runs-XXXXXX";
  return std::string(mkdtemp(tmpl)) + "/r.db";
}

std::vector<results::TrialRow> rows(int n) {
  std::vector<results::TrialRow> out;
  for (int i = 0; i < n; ++i)
    out.push_back({"id" + std::to_string(i), "{}", "h" + std::to_string(i), 0, i});
  return out;
}

void exec(results::Store& s, const std::string& sql) {
  s.db().exec(sql);
}

// A pid that no process has any more.
std::int64_t dead_pid() {
  const pid_t child = fork();
  if (child == 0) _exit(0);
  waitpid(child, nullptr, 0);
  return child;
}

// Two runs of sweep "sw" on one new database, each with its own connection.
struct TwoRuns : ::testing::Test {
  std::string path = temp_db();
  results::Store a{path}, b{path};
  void SetUp() override {
    a.prepare("sw", rows(4), false);
    b.prepare("sw", rows(4), false);
    EXPECT_EQ(a.begin_run("sw", 1, 60), 1);
    EXPECT_EQ(b.begin_run("sw", 2, 60), 2);
  }
};

}  // namespace

TEST_F(TwoRuns, ATrialIsClaimedByOneRunAndPassedOverByTheOther) {
  EXPECT_EQ(b.holder_of("id0"), Holder::kNobody);
  ASSERT_TRUE(a.claim("id0"));
  EXPECT_FALSE(b.claim("id0"));
  EXPECT_EQ(b.holder_of("id0"), Holder::kLiveRun);
  EXPECT_TRUE(a.holds("id0"));
  EXPECT_FALSE(b.holds("id0"));
  EXPECT_EQ(b.held_elsewhere("sw"),
            (std::vector<std::pair<std::string, std::int64_t>>{{"id0", 1}}));
  EXPECT_TRUE(a.held_elsewhere("sw").empty());
  a.complete("id0", {{"recon_mse", 0.1}});
  EXPECT_EQ(b.holder_of("id0"), Holder::kFinished);
  EXPECT_FALSE(b.claim("id0"));
}

TEST_F(TwoRuns, ALapsedLeaseIsTakenOverAndItsRunLearnsItLostTheTrial) {
  ASSERT_TRUE(a.claim("id1"));
  exec(a, "UPDATE trials SET lease_expires = lease_expires - 61 WHERE id = 'id1'");
  EXPECT_EQ(b.holder_of("id1"), Holder::kNobody);
  ASSERT_TRUE(b.claim("id1"));
  EXPECT_FALSE(a.holds("id1")) << "a was suspended past its lease: the trial is b's now";
  EXPECT_TRUE(b.holds("id1"));
  EXPECT_FALSE(a.claim("id1"));
}

TEST_F(TwoRuns, ARunThatMissedRenewalsIsQuietAndADeadOneHereIsKnownAtOnce) {
  ASSERT_TRUE(a.claim("id2"));
  exec(a, "UPDATE runs SET heartbeat = heartbeat - 40 WHERE id = 1");  // lease 60 s
  EXPECT_EQ(b.holder_of("id2"), Holder::kQuietRun);
  exec(a, "UPDATE runs SET heartbeat = heartbeat + 40, pid = " + std::to_string(dead_pid()) +
              " WHERE id = 1");
  EXPECT_EQ(b.holder_of("id2"), Holder::kNobody) << "its process is gone from this host";
  exec(a, "UPDATE runs SET host = 'elsewhere' WHERE id = 1");
  EXPECT_EQ(b.holder_of("id2"), Holder::kLiveRun) << "on another host only its lease tells";
  exec(a, "UPDATE runs SET host = (SELECT host FROM runs WHERE id = 2), pid = " +
              std::to_string(getpid()) + ", start_ticks = 1 WHERE id = 1");
  EXPECT_EQ(b.holder_of("id2"), Holder::kNobody) << "its pid now belongs to another process";
  exec(a, "UPDATE runs SET start_ticks = (SELECT start_ticks FROM runs WHERE id = 2) WHERE id = 1");
  EXPECT_EQ(b.holder_of("id2"), Holder::kLiveRun);
  a.end_run();
  EXPECT_EQ(b.holder_of("id2"), Holder::kNobody) << "its run ended without finishing it";
}

TEST_F(TwoRuns, FailedTrialsAreFreeOnlyToARunThatRetriesThem) {
  ASSERT_TRUE(a.claim("id3"));
  a.fail("id3", "loss is nan");
  EXPECT_EQ(b.holder_of("id3"), Holder::kFinished);
  EXPECT_FALSE(b.claim("id3"));
  EXPECT_EQ(b.prepare("sw", rows(4), true).size(), 4u);
  EXPECT_EQ(b.holder_of("id3"), Holder::kNobody);
  EXPECT_TRUE(b.claim("id3"));
}

TEST_F(TwoRuns, StatusListsLiveRunsAndLostOnesThatStillHoldTrials) {
  ASSERT_TRUE(a.claim("id0"));
  ASSERT_TRUE(b.claim("id1"));
  exec(a, "UPDATE runs SET heartbeat = heartbeat - 100 WHERE id = 2");
  const auto runs = results::open_runs(a.db(), "sw");
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_TRUE(runs[0].live);
  EXPECT_EQ(runs[0].trials, std::vector<std::string>{"id0"});
  EXPECT_FALSE(runs[1].live);
  EXPECT_EQ(runs[1].ranks, 2);
  std::ostringstream out;
  results::print_runs(a.db(), "sw", out);
  EXPECT_NE(out.str().find("run 1  live"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("run 2  LOST"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("1 trial(s) id1; the next run to look takes them over"),
            std::string::npos)
      << out.str();
  b.end_run();
  EXPECT_EQ(results::open_runs(a.db(), "sw").size(), 1u) << "an ended run is history";
}

TEST(Runs, AClaimOutsideARunHoldsNoLease) {
  const auto path = temp_db();
  results::Store a(path), b(path);
  a.prepare("sw", rows(1), false);
  ASSERT_TRUE(a.claim("id0"));
  b.begin_run("sw", 1, 60);
  EXPECT_EQ(b.holder_of("id0"), Holder::kNobody) << "as a trial left running by a killed job";
}

TEST(Runs, LeasesAreRenewedOnAThreadOfTheirOwn) {
  const auto path = temp_db();
  results::Store a(path);
  a.prepare("sw", rows(1), false);
  a.begin_run("sw", 1, 0.2);
  ASSERT_TRUE(a.claim("id0"));
  auto expiry = [&] {
    auto q = a.db().prepare("SELECT lease_expires FROM trials WHERE id = 'id0'");
    q.step();
    return q.real(0);
  };
  const double first = expiry();
  {
    results::LeaseKeeper keeper(path, a.run_id(), 0.2);
    usleep(400000);  // renewals every 0.05 s
  }
  EXPECT_GT(expiry(), first + 0.2);
  EXPECT_LT(expiry(), results::unix_now() + 0.25);
}

TEST(Runs, SchemaFourGainsRunsAndLeases) {
  const auto path = temp_db();
  {
    results::Store s(path);
    s.prepare("sw", rows(2), false);
    s.mark_running("id0", {0}, {"n"});
    s.db().exec(
        "DROP INDEX trials_by_run; ALTER TABLE trials DROP COLUMN run_id; "
        "ALTER TABLE trials DROP COLUMN lease_expires; ALTER TABLE trials DROP COLUMN array_id; "
        "DROP TABLE runs; PRAGMA user_version=4;");
  }
  results::Store s(path);
  auto q = s.db().prepare("PRAGMA user_version");
  q.step();
  EXPECT_EQ(q.integer(0), 6);
  s.begin_run("sw", 1, 60);
  EXPECT_TRUE(s.claim("id0")) << "left running by a run without leases";
  EXPECT_TRUE(s.holds("id0"));
}

TEST(Runs, SchemaFiveGainsArraysAndATrialGivenBackIsClaimableAgain) {
  const auto path = temp_db();
  {
    results::Store s(path);
    s.prepare("sw", rows(3), false);
    s.db().exec("ALTER TABLE trials DROP COLUMN array_id; PRAGMA user_version=5;");
  }
  results::Store s(path);
  s.begin_run("sw", 1, 60);
  for (const char* id : {"id0", "id1", "id2"}) {
    ASSERT_TRUE(s.claim(id));
    s.mark_running(id, {0}, {"n"});
  }
  s.set_array({"id0", "id1"});
  auto arrays = s.db().prepare("SELECT id, coalesce(array_id, '-') FROM trials ORDER BY id");
  std::string seen;
  while (arrays.step()) seen += arrays.text(0) + ":" + arrays.text(1) + " ";
  EXPECT_EQ(seen, "id0:id0 id1:id0 id2:- ");
  s.set_aside("id2");
  auto row = s.db().prepare("SELECT status, attempts FROM trials WHERE id = 'id2'");
  ASSERT_TRUE(row.step());
  EXPECT_EQ(row.text(0), "running") << "set aside: still this run's";
  EXPECT_EQ(row.integer(1), 0) << "not trained yet: the attempt not counted";
  EXPECT_TRUE(s.claim("id2"));
  s.mark_running("id0", {0}, {"n"});
  auto again = s.db().prepare("SELECT array_id IS NULL FROM trials WHERE id = 'id0'");
  ASSERT_TRUE(again.step());
  EXPECT_EQ(again.integer(0), 1) << "a new attempt starts alone until an array is formed";
}

// A trial set aside (it could not join its fused array) stays this run's: another run passes it
// over, this one claims it again, and its attempts count the one training it gets.
TEST(Runs, ATrialSetAsideStaysThisRunsUntilItTrainsIt) {
  const auto path = temp_db();
  results::Store a(path), b(path);
  a.prepare("sw", rows(1), false);
  a.begin_run("sw", 1, 60);
  b.begin_run("sw", 1, 60);
  ASSERT_TRUE(a.claim("id0"));
  a.mark_running("id0", {0}, {"n"});
  a.set_aside("id0");
  EXPECT_EQ(b.holder_of("id0"), results::Holder::kLiveRun);
  EXPECT_FALSE(b.claim("id0")) << "another run must not take a trial this run set aside";
  ASSERT_TRUE(a.claim("id0"));
  a.mark_running("id0", {0}, {"n"});
  EXPECT_TRUE(a.holds("id0"));
  auto row = a.db().prepare("SELECT attempts FROM trials WHERE id = 'id0'");
  ASSERT_TRUE(row.step());
  EXPECT_EQ(row.integer(0), 1);
}
