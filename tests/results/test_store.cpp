#include <gtest/gtest.h>

#include <sstream>

#include "results/store.h"

namespace {

std::string temp_db() {
  char tmpl[] = "/tmp/runner-store-XXXXXX";
  return std::string(mkdtemp(tmpl)) + "/r.db";
}

std::vector<results::TrialRow> rows(int n) {
  std::vector<results::TrialRow> out;
  for (int i = 0; i < n; ++i)
    out.push_back({"id" + std::to_string(i), "{\"model\":{\"latent\":" + std::to_string(i) + "}}",
                   "h" + std::to_string(i), 0, i});
  return out;
}

std::int64_t count(results::Store& s, const std::string& sql) {
  auto q = s.db().prepare(sql);
  q.step();
  return q.integer(0);
}

}  // namespace

TEST(Store, PrepareIsIdempotentAndSkipsFinishedTrials) {
  auto path = temp_db();
  results::Store s(path);
  EXPECT_EQ(s.prepare("sw", rows(3), false).size(), 3u);
  EXPECT_EQ(s.prepare("sw", rows(3), false).size(), 3u);
  EXPECT_EQ(count(s, "SELECT count(*) FROM trials"), 3);

  s.mark_running("id0", {1}, "node1");
  s.add_epoch("id0", 1, {{"train_loss", 0.5}});
  s.complete("id0", {{"recon_mse", 0.1}});
  s.mark_running("id1", {2}, "node1");
  s.fail("id1", "loss is nan");
  s.mark_running("id2", {1, 2}, "node2");  // left running, as by a killed job

  EXPECT_EQ(s.prepare("sw", rows(3), false), (std::vector<std::string>{"id2"}));
  EXPECT_EQ(s.prepare("sw", rows(3), true), (std::vector<std::string>{"id1", "id2"}));
  EXPECT_EQ(count(s, "SELECT count(*) FROM trials"), 3);
  EXPECT_EQ(count(s, "SELECT json_extract(config, '$.model.latent') FROM trials WHERE id = 'id2'"),
            2);
  EXPECT_EQ(count(s, "SELECT json_array_length(ranks) FROM trials WHERE id = 'id2'"), 2);
}

TEST(Store, RerunningATrialReplacesItsSeriesInsteadOfDuplicatingIt) {
  results::Store s(temp_db());
  s.prepare("sw", rows(1), false);
  s.mark_running("id0", {1}, "h");
  s.add_epoch("id0", 1, {{"train_loss", 0.5}, {"test_recon_mse", 0.4}});
  s.add_epoch("id0", 2, {{"train_loss", 0.3}, {"test_recon_mse", 0.2}});
  s.mark_running("id0", {2}, "h");  // the job died; the next run starts the trial again
  s.add_epoch("id0", 1, {{"train_loss", 0.6}, {"test_recon_mse", 0.5}});
  s.complete("id0", {{"recon_mse", 0.1}});
  EXPECT_EQ(count(s, "SELECT count(*) FROM metrics"), 2);
  EXPECT_EQ(count(s, "SELECT attempts FROM trials"), 2);
  EXPECT_EQ(
      count(s, "SELECT count(*) FROM trials WHERE status = 'completed' AND ended_at IS NOT NULL"),
      1);
}

TEST(Store, TheSameConfigAndRepeatIsOneTrialPerSweep) {
  results::Store s(temp_db());
  s.prepare("sw", rows(1), false);
  auto clash = rows(1);
  clash[0].id = "other";
  s.prepare("sw", clash, false);
  EXPECT_EQ(count(s, "SELECT count(*) FROM trials"), 1);
}

TEST(Store, SurvivesReopenAndChecksIntegrity) {
  auto path = temp_db();
  {
    results::Store s(path);
    s.prepare("sw", rows(2), false);
  }
  results::Store s(path);
  EXPECT_EQ(count(s, "SELECT count(*) FROM trials"), 2);
  auto q = s.db().prepare("PRAGMA integrity_check");
  ASSERT_TRUE(q.step());
  EXPECT_EQ(q.text(0), "ok");
  auto mode = s.db().prepare("PRAGMA journal_mode");
  mode.step();
  EXPECT_EQ(mode.text(0), "wal");
}

TEST(Query, PrintsCsvAndRefusesToWrite) {
  auto path = temp_db();
  {
    results::Store s(path);
    s.prepare("sw", rows(2), false);
    s.mark_running("id0", {1}, "host, with comma");
    s.complete("id0", {{"recon_mse", 0.25}});
  }
  std::ostringstream out;
  results::query_csv(path, "SELECT id, host, value FROM trials JOIN final_metrics ON trial_id = id",
                     out);
  EXPECT_EQ(out.str(), "id,host,value\nid0,\"host, with comma\",0.25\n");
  EXPECT_THROW(results::query_csv(path, "DELETE FROM trials", out), results::SqliteError);
  EXPECT_THROW(results::query_csv(path, "SELECT 1; DELETE FROM trials", out), results::SqliteError);
  EXPECT_THROW(results::query_csv(path, "SELEC nonsense", out), results::SqliteError);
  EXPECT_THROW(results::query_csv(path + ".missing", "SELECT 1", out), results::SqliteError);
}
