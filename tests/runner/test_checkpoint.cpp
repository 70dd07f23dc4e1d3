// Checkpoints: the file format, and resuming a trial that was stopped mid-epoch, at an epoch's end
// and between stages, which must end exactly as the same trial run without a stop.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cluster/group.h"
#include "runner/record/checkpoint_dir.h"
#include "runner/train/training.h"
#include "tests/mpi_test_main.h"
#include "tests/testutil.h"

namespace {

runner::Assignment resumable_trial(const std::string& kind) {
  auto a = testutil::tiny_trial("resume-" + kind, 7, 1000, 200);  // 20 steps of 50 per epoch
  a.config.model.kind = testutil::kind(kind);
  a.config.model.latent = 8;
  return a;
}

struct Outcome {
  runner::TrialOutput out;
  std::vector<std::pair<std::int64_t, runner::Metrics>> series;
  torch::Tensor weights;
};

// Runs the trial; with stop_after > 0, asks it to stop at that call of should_stop. Reads the
// group's votes every `read_every` steps (0: as the device would).
Outcome run(const runner::Assignment& a, int stop_after, int read_every = 0) {
  Outcome o;
  cluster::Group alone(*g_mpi, MPI_COMM_SELF);
  int calls = 0;
  runner::TrialHooks hooks;
  hooks.checkpoints = true;
  hooks.on_epoch = [&](std::int64_t epoch, const runner::Metrics& m, const std::string& ckpt) {
    EXPECT_FALSE(ckpt.empty()) << "a checkpoint after every epoch";
    o.series.emplace_back(epoch, m);
  };
  hooks.should_stop = [&] { return stop_after > 0 && ++calls >= stop_after; };
  hooks.read_votes_every = read_every;
  o.out = runner::train_trial(a, alone, hooks, &o.weights);
  return o;
}

runner::Metrics without_timings(runner::Metrics m) {
  runner::Metrics out;
  for (auto& [k, v] : m)
    if (!util::is_timing(k)) out.emplace_back(k, v);
  return out;
}

// Stops the trial at each of `stops` (calls of should_stop counted from each resume), resuming
// from the checkpoint every time, and checks the end against one uninterrupted run.
void expect_resume_matches(runner::Assignment a, const std::vector<int>& stops,
                           int expected_interruptions) {
  const Outcome whole = run(a, 0);
  ASSERT_FALSE(whole.out.interrupted);

  std::vector<std::pair<std::int64_t, runner::Metrics>> series;
  Outcome part;
  int interruptions = 0;
  for (std::size_t i = 0; i <= stops.size(); ++i) {
    part = run(a, i < stops.size() ? stops[i] : 0);
    series.insert(series.end(), part.series.begin(), part.series.end());
    if (!part.out.interrupted) break;
    ++interruptions;
    ASSERT_FALSE(part.out.checkpoint.empty());
    const auto c = runner::decode_checkpoint(part.out.checkpoint, "test");
    EXPECT_EQ(c.trial_id, a.trial_id);
    EXPECT_EQ(c.series_epoch, series.empty() ? 0 : series.back().first)
        << "the checkpoint covers exactly the epochs reported";
    a.checkpoint = part.out.checkpoint;
  }
  EXPECT_EQ(interruptions, expected_interruptions);
  ASSERT_FALSE(part.out.interrupted);

  ASSERT_EQ(series.size(), whole.series.size()) << "no gaps, no repeated epochs";
  for (std::size_t e = 0; e < series.size(); ++e) {
    EXPECT_EQ(series[e].first, static_cast<std::int64_t>(e) + 1);
    EXPECT_EQ(series[e].second, whole.series[e].second) << "epoch " << e + 1;
  }
  EXPECT_TRUE(torch::equal(part.weights, whole.weights)) << "the same weights, bit for bit";
  EXPECT_EQ(without_timings(part.out.metrics), without_timings(whole.out.metrics));
  EXPECT_EQ(part.out.artifacts, whole.out.artifacts);
}

}  // namespace

TEST(CheckpointFile, RoundTripsAndRefusesDamage) {
  runner::Checkpoint c;
  c.trial_id = "abc";
  c.series_epoch = 4;
  c.next_sample = 150;
  c.parameters = std::string("\0\1\2\3", 4);
  const std::string bytes = runner::encode_checkpoint(c);
  const auto back = runner::decode_checkpoint(bytes, "f");
  EXPECT_EQ(back.trial_id, "abc");
  EXPECT_EQ(back.series_epoch, 4);
  EXPECT_EQ(back.next_sample, 150);
  EXPECT_EQ(back.parameters, c.parameters);

  std::string flipped = bytes;
  flipped[flipped.size() - 2] ^= 0x40;
  EXPECT_THROW(runner::decode_checkpoint(flipped, "f"), std::runtime_error);
  EXPECT_THROW(runner::decode_checkpoint(bytes.substr(0, bytes.size() - 3), "f"),
               std::runtime_error);
  EXPECT_THROW(runner::decode_checkpoint("PK\3\4 not ours", "f"), std::runtime_error);
}

TEST(CheckpointFile, DamagedFileIsMovedAsideAndTheTrialStartsOver) {
  char tmpl[] = "/tmp/runner-ckpt-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  const runner::CheckpointDir checkpoints(dir + "/r.db", "sweep");
  runner::Checkpoint c;
  c.trial_id = "t1";
  checkpoints.save("t1", runner::encode_checkpoint(c));
  EXPECT_EQ(checkpoints.path("t1"), dir + "/r.checkpoints/sweep/t1.ckpt");
  std::string bytes;
  std::ostringstream log;
  ASSERT_TRUE(checkpoints.load("t1", bytes, log).has_value());
  EXPECT_FALSE(checkpoints.load("t2", bytes, log).has_value()) << "no file, no checkpoint";

  std::ofstream(checkpoints.path("t1"), std::ios::binary | std::ios::trunc) << "RUNNERCK garbage";
  EXPECT_FALSE(checkpoints.load("t1", bytes, log).has_value());
  EXPECT_NE(log.str().find("t1.ckpt"), std::string::npos) << log.str();
  EXPECT_TRUE(std::ifstream(checkpoints.path("t1") + ".bad").good()) << "kept for a look";
  EXPECT_FALSE(std::ifstream(checkpoints.path("t1")).good());

  // A checkpoint of another trial under this trial's name is refused too.
  c.trial_id = "other";
  checkpoints.save("t1", runner::encode_checkpoint(c));
  EXPECT_FALSE(checkpoints.load("t1", bytes, log).has_value());
  std::filesystem::remove_all(dir);
}

// Stopped in epoch 2 after 7 of its 20 steps, then at the end of epoch 2, then run to the end.
TEST(Resume, DenseEndsExactlyAsUninterrupted) {
  expect_resume_matches(resumable_trial("dense"), {27, 13}, 2);
}

// Noise from LibTorch's generator each step: its state must come back with the checkpoint.
TEST(Resume, VaeEndsExactlyAsUninterrupted) {
  auto a = resumable_trial("vae");
  a.config.kl.schedule = sweeps::KlSchedule::kCyclical;
  expect_resume_matches(a, {27, 13}, 2);
}

// Blotches drawn each step, the mask as input.
TEST(Resume, BlotchedInputsEndExactlyAsUninterrupted) {
  auto a = resumable_trial("dense");
  a.config.corruption.kind = sweeps::CorruptionKind::kBlotch;
  a.config.corruption.mask_input = true;
  expect_resume_matches(a, {5, 40}, 2);
}

// A module brought in as TorchScript, its weights drawn by its reset_parameters() and corrupted
// inputs drawn each step: its parameters are the checkpoint's like a built-in model's.
TEST(Resume, TorchScriptModuleEndsExactlyAsUninterrupted) {
  auto a = resumable_trial("torchscript");
  a.config.model.file = std::string(RUNNER_TORCHSCRIPT_DIR) + "/dense_reset.pt";
  a.config.corruption.kind = sweeps::CorruptionKind::kMasking;
  a.config.corruption.level = 0.3;
  expect_resume_matches(a, {27, 13}, 2);
}

// Trained layer by layer: stopped in the first stage, then in the second (fresh Adam state there).
TEST(Resume, RandomizedAcrossStagesEndsExactlyAsUninterrupted) {
  auto a = resumable_trial("randomized");
  expect_resume_matches(a, {33, 40}, 2);
}

// A stop on the last step of the last epoch changes nothing: the trial completes.
TEST(Resume, StopOnTheVeryLastStepCompletes) {
  auto a = resumable_trial("dense");
  a.config.train.epochs = 1;
  const Outcome o = run(a, 20);
  EXPECT_FALSE(o.out.interrupted);
  EXPECT_EQ(o.series.size(), 1u);
}

// Votes read every 4 steps, as a GPU rank reads them every kVoteReadSteps: the same weights and
// series as reading every step; a stop asked at step 6 lands at step 8, the next read, and going
// on from there ends as the uninterrupted run; a diverging loss is caught at the read after it.
TEST(Checkpoint, VotesReadEveryFewStepsChangeOnlyWhereAStopLands) {
  auto a = resumable_trial("dense");
  const Outcome every = run(a, 0, 1), fourth = run(a, 0, 4);
  EXPECT_TRUE(torch::equal(every.weights, fourth.weights));
  EXPECT_EQ(every.series, fourth.series);

  const Outcome stopped = run(a, 6, 4);
  ASSERT_TRUE(stopped.out.interrupted);
  EXPECT_EQ(runner::decode_checkpoint(stopped.out.checkpoint, "test").next_sample, 8 * 50);
  a.checkpoint = stopped.out.checkpoint;
  const Outcome rest = run(a, 0, 4);
  EXPECT_TRUE(torch::equal(rest.weights, every.weights));
  EXPECT_EQ(without_timings(rest.out.metrics), without_timings(every.out.metrics));

  a.checkpoint.clear();
  a.config.train.lr = 1e30;
  try {
    run(a, 0, 4);
    FAIL() << "expected a non-finite loss";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("loss is not finite (nan or inf) at epoch 1, steps 0-3"),
              std::string::npos)
        << e.what();
  }
}
