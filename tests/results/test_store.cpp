#include <gtest/gtest.h>
#include <unistd.h>

#include <sstream>

#include "results/console.h"
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

  s.mark_running("id0", {1}, {"node1"});
  s.add_epoch("id0", 1, {{"train_loss", 0.5}});
  s.complete("id0", {{"recon_mse", 0.1}});
  s.mark_running("id1", {2}, {"node1"});
  s.fail("id1", "loss is nan");
  s.mark_running("id2", {1, 2}, {"node2", "node2"});  // left running, as by a killed job

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
  s.mark_running("id0", {1}, {"h"});
  s.add_epoch("id0", 1, {{"train_loss", 0.5}, {"test_recon_mse", 0.4}});
  s.add_epoch("id0", 2, {{"train_loss", 0.3}, {"test_recon_mse", 0.2}});
  s.mark_running("id0", {2}, {"h"});  // the job died; the next run starts the trial again
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
    s.mark_running("id0", {1}, {"host, with comma"});
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

// Reads of every kind go through; nothing that writes anywhere, attaches or changes a setting.
TEST(Query, ReadsButRefusesAttachVacuumWritesAndWritingPragmas) {
  auto path = temp_db();
  {
    results::Store s(path);
    s.prepare("sw", rows(2), false);
  }
  const std::string dir = path.substr(0, path.rfind('/'));
  std::ostringstream out;
  for (const char* sql : {"PRAGMA table_info(trials)", "PRAGMA user_version",
                          "PRAGMA integrity_check", "SELECT json_extract(config, '$') FROM trials",
                          "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x "
                          "< 3) SELECT x FROM c"})
    EXPECT_NO_THROW(results::query_csv(path, sql, out)) << sql;
  const std::string copy = dir + "/copy.db";
  for (const std::string& sql :
       {"VACUUM INTO '" + copy + "'", std::string("VACUUM"), "ATTACH '" + copy + "' AS c",
        std::string("DETACH main"), std::string("PRAGMA user_version = 9"),
        std::string("PRAGMA optimize"), std::string("PRAGMA wal_checkpoint"),
        std::string("PRAGMA journal_mode = DELETE"), std::string("PRAGMA temp_store = 1"),
        std::string("CREATE TEMP TABLE z (a)"), std::string("BEGIN"),
        std::string("INSERT INTO trials (id) VALUES ('x')")}) {
    try {
      results::query_csv(path, sql, out);
      ADD_FAILURE() << "not refused: " << sql;
    } catch (const results::SqliteError& e) {
      EXPECT_NE(std::string(e.what()).find("runner query only reads"), std::string::npos)
          << sql << ": " << e.what();
    }
  }
  EXPECT_NE(access(copy.c_str(), F_OK), 0) << "nothing written beside the database";
  results::Store s(path);
  EXPECT_EQ(count(s, "PRAGMA user_version"), 6);
}

TEST(Store, AResumedTrialKeepsTheEpochsItsCheckpointCovers) {
  auto path = temp_db();
  results::Store s(path);
  s.prepare("sw", rows(1), false);
  s.mark_running("id0", {1}, {"n"});
  for (int e = 1; e <= 5; ++e) s.add_epoch("id0", e, {{"train_loss", 1.0 / e}});
  s.interrupt("id0");
  EXPECT_EQ(s.prepare("sw", rows(1), false), (std::vector<std::string>{"id0"}));
  // The checkpoint is at epoch 3 (epochs 4 and 5 were recorded after it, then lost with the job).
  s.mark_running("id0", {2}, {"n"}, 3);
  EXPECT_EQ(count(s, "SELECT count(*) FROM metrics WHERE trial_id = 'id0'"), 3);
  EXPECT_EQ(count(s, "SELECT max(epoch) FROM metrics"), 3);
  EXPECT_EQ(count(s, "SELECT resumed_from FROM trials"), 3);
  s.add_epoch("id0", 4, {{"train_loss", 0.2}});
  auto q = s.db().prepare(
      "SELECT group_concat(attempt, ',') FROM (SELECT attempt FROM metrics ORDER BY epoch)");
  q.step();
  EXPECT_EQ(q.text(0), "1,1,1,2") << "each epoch says which attempt recorded it";
}

TEST(Store, StatusCountsTrialsPerSweepAndShowsTheEpochOfRunningOnes) {
  auto path = temp_db();
  {
    results::Store s(path);
    s.prepare("alpha", rows(4), false);
    auto beta = rows(1);
    beta[0].id = "b0";
    s.prepare("beta", beta, false);
    s.mark_running("id0", {1}, {"n1"});
    s.add_epoch("id0", 1, {{"train_loss", 1}});
    s.add_epoch("id0", 2, {{"train_loss", 1}});
    s.mark_running("id1", {2}, {"n1"});
    s.complete("id1", {});
    s.mark_running("id2", {3}, {"n1"});
    s.interrupt("id2");
  }
  std::ostringstream out;
  results::print_status(path, out);
  const std::string text = out.str();
  EXPECT_NE(text.find("sweep alpha\n  pending 1 running 1 interrupted 1 completed 1 pruned 0 "
                      "failed 0 stale 0  (4 trials)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("running      id0  epoch 2/"), std::string::npos) << text;
  EXPECT_NE(text.find("interrupted  id2  epoch 0/"), std::string::npos) << text;
  EXPECT_NE(text.find("sweep beta\n  pending 1 running 0"), std::string::npos) << text;
  EXPECT_THROW(results::print_status(path + ".missing", out), results::SqliteError);
}

// A trial's series length comes from the runner (models::series_epochs) and is what `status`
// shows; a database written before the column existed gets it at its next prepare.
TEST(Store, StatusShowsTheSeriesLengthTheRunnerStored) {
  auto path = temp_db();
  {
    results::Store s(path);
    auto r = rows(2);
    r[0].series_epochs = 9;
    s.prepare("sw", r, false);
    s.mark_running("id0", {1}, {"n1"});
    s.add_epoch("id0", 1, {{"train_loss", 1}});
    EXPECT_EQ(count(s, "SELECT series_epochs FROM trials WHERE id = 'id0'"), 9);
    // An older runner's row: no length yet.
    s.db().exec("UPDATE trials SET series_epochs = NULL");
  }
  std::ostringstream before;
  results::print_status(path, before);
  EXPECT_NE(before.str().find("running      id0  epoch 1/?"), std::string::npos) << before.str();
  results::Store s(path);
  auto r = rows(2);
  r[0].series_epochs = 9;
  r[1].series_epochs = 3;
  s.prepare("sw", r, false);
  EXPECT_EQ(count(s, "SELECT series_epochs FROM trials WHERE id = 'id0'"), 9);
  EXPECT_EQ(count(s, "SELECT status = 'running' FROM trials WHERE id = 'id0'"), 1)
      << "filling the length changes nothing else";
  r[0].series_epochs = 4;
  s.prepare("sw", r, false);
  EXPECT_EQ(count(s, "SELECT series_epochs FROM trials WHERE id = 'id0'"), 9)
      << "a stored length stays";
  std::ostringstream after;
  results::print_status(path, after);
  EXPECT_NE(after.str().find("running      id0  epoch 1/9"), std::string::npos) << after.str();
}

TEST(Store, OpensADatabaseOfSchemaTwoAndUpgradesIt) {
  auto path = temp_db();
  {
    results::Database db(path, results::Database::Mode::ReadWrite);
    db.exec(
        "CREATE TABLE trials (id TEXT PRIMARY KEY, sweep TEXT NOT NULL, config TEXT NOT NULL, "
        "config_hash TEXT NOT NULL, repeat INTEGER NOT NULL, seed INTEGER NOT NULL, status TEXT "
        "NOT NULL DEFAULT 'pending', ranks TEXT, host TEXT, attempts INTEGER NOT NULL DEFAULT 0, "
        "created_at TEXT NOT NULL, started_at TEXT, ended_at TEXT, error TEXT, UNIQUE (sweep, "
        "config_hash, repeat));"
        "CREATE TABLE metrics (trial_id TEXT NOT NULL REFERENCES trials (id), epoch INTEGER NOT "
        "NULL, name TEXT NOT NULL, value REAL, PRIMARY KEY (trial_id, name, epoch)) WITHOUT ROWID;"
        "INSERT INTO trials (id, sweep, config, config_hash, repeat, seed, created_at, status) "
        "VALUES ('old', 'sw', '{}', 'h', 0, 0, 'then', 'completed');"
        "INSERT INTO metrics VALUES ('old', 1, 'train_loss', 0.5);"
        "PRAGMA user_version=2;");
  }
  results::Store s(path);
  EXPECT_EQ(count(s, "PRAGMA user_version"), 6);
  EXPECT_EQ(count(s, "SELECT count(*) FROM metrics WHERE attempt IS NULL"), 1) << "old rows kept";
  s.prepare("sw", rows(1), false);
  s.mark_running("id0", {1}, {"n"}, 0);
  s.add_epoch("id0", 1, {{"train_loss", 1}});
  EXPECT_EQ(count(s, "SELECT attempt FROM metrics WHERE trial_id = 'id0'"), 1);
}

TEST(Store, RecordsEachMembersHostAndRerunsStaleTrials) {
  auto path = temp_db();
  results::Store s(path);
  s.prepare("sw", rows(2), false);
  s.mark_running("id0", {0, 3}, {"node0", "node1"});
  EXPECT_EQ(count(s, "SELECT json_extract(hosts, '$[1]') = 'node1' FROM trials WHERE id = 'id0'"),
            1);
  EXPECT_EQ(count(s, "SELECT host = 'node0' FROM trials WHERE id = 'id0'"), 1);
  s.complete("id0", {});
  s.mark_running("id1", {2}, {"node1"});
  s.mark_stale("id1", "rank 2 on node1 silent for 30 s");
  EXPECT_EQ(count(s, "SELECT count(*) FROM trials WHERE status = 'stale' AND error LIKE 'rank 2%'"),
            1);
  EXPECT_EQ(s.prepare("sw", rows(2), false), (std::vector<std::string>{"id1"}))
      << "a stale trial runs again";
  std::ostringstream out;
  results::print_status(path, out);
  EXPECT_NE(out.str().find("stale 1"), std::string::npos) << out.str();
}

TEST(Store, ChangesInsideAnOuterTransactionCommitTogether) {
  auto path = temp_db();
  results::Store s(path);
  s.prepare("sw", rows(2), false);
  {
    results::Transaction batch(s.db());
    s.mark_running("id0", {0}, {"n"});
    s.add_epoch("id0", 1, {{"train_loss", 1}});
    s.complete("id0", {{"recon_mse", 0.1}});
    results::Database reader(path, results::Database::Mode::ReadOnly);
    auto q = reader.prepare("SELECT count(*) FROM metrics");
    q.step();
    EXPECT_EQ(q.integer(0), 0) << "nothing visible before commit";
    batch.commit();
  }
  EXPECT_EQ(count(s, "SELECT count(*) FROM trials WHERE status = 'completed'"), 1);
  {
    results::Transaction batch(s.db());
    s.mark_running("id1", {0}, {"n"});
    // Left without commit (an exception on the way): the whole batch rolls back.
  }
  EXPECT_EQ(count(s, "SELECT count(*) FROM trials WHERE status = 'pending'"), 1);
}

TEST(Store, UpgradesSchemaThreeKeepingTrialsSeriesAndForeignKeys) {
  auto path = temp_db();
  {
    results::Store s(path);
    s.prepare("sw", rows(2), false);
    s.mark_running("id0", {1}, {"n"});
    s.add_epoch("id0", 1, {{"train_loss", 1}});
    s.complete("id0", {{"recon_mse", 0.1}});
    // Back to what a schema-3 runner wrote: no hosts column, no 'stale' in the CHECK.
    s.db().exec(
        "PRAGMA foreign_keys=OFF; ALTER TABLE trials DROP COLUMN hosts; "
        "PRAGMA user_version=3;");
  }
  results::Store s(path);
  EXPECT_EQ(count(s, "PRAGMA user_version"), 6);
  EXPECT_EQ(count(s, "SELECT count(*) FROM trials WHERE status = 'completed'"), 1);
  EXPECT_EQ(count(s, "SELECT count(*) FROM metrics"), 1);
  EXPECT_EQ(count(s, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
  EXPECT_EQ(count(s,
                  "SELECT count(*) FROM pragma_index_list('trials') "
                  "WHERE name = 'trials_by_sweep'"),
            1);
  s.mark_running("id1", {1}, {"n"});
  s.mark_stale("id1", "silent");
  EXPECT_THROW(s.db().exec("INSERT INTO metrics VALUES ('nope', 1, 'x', 1, 1)"),
               results::SqliteError)
      << "foreign keys still point at trials";
}

TEST(FileSystems, NetworkFileSystemsAreRecognised) {
  EXPECT_EQ(results::network_filesystem_name(0x6969), "NFS");
  EXPECT_EQ(results::network_filesystem_name(0x0BD00BD0), "Lustre");
  EXPECT_EQ(results::network_filesystem_name(0x47504653), "GPFS");
  EXPECT_EQ(results::network_filesystem_name(static_cast<long>(0xFF534D42L)), "CIFS");
  EXPECT_EQ(results::network_filesystem_name(0xEF53), "") << "ext4";
  EXPECT_EQ(results::network_filesystem_name(0x01021994), "") << "tmpfs";
  EXPECT_EQ(results::network_filesystem_name(0x58465342), "") << "xfs";
  // Where the tests run, /tmp is local: no warning.
  std::ostringstream warnings;
  results::Store s(temp_db(), &warnings);
  EXPECT_EQ(warnings.str(), "");
  EXPECT_EQ(results::network_filesystem_of("/tmp/x.db"), "");
}

TEST(Store, PicturesGoInTheDatabaseWithTheResult) {
  auto path = temp_db();
  results::Store s(path);
  s.prepare("sw", rows(1), false);
  s.mark_running("id0", {0}, {"n"});
  const std::string png("\x89PNG\r\n\x1a\n\0binary\0bytes", 20);
  s.complete("id0", {{"recon_mse", 0.1}}, {{"reconstructions", png}, {"differences", "x"}});
  auto q = s.db().prepare("SELECT png, path FROM artifacts WHERE trial_id = 'id0' ORDER BY kind");
  ASSERT_TRUE(q.step());
  EXPECT_EQ(q.blob(0), "x");
  ASSERT_TRUE(q.step());
  EXPECT_EQ(q.blob(0), png) << "bytes kept whole, NULs included";
  EXPECT_EQ(q.text(1), "");
}
