#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "cluster/group.h"
#include "data/datasets.h"
#include "models/autoencoder.h"
#include "runner/messages.h"
#include "runner/training.h"
#include "tests/mpi_test_main.h"

namespace {

runner::Assignment small_trial() {
  runner::Assignment a;
  a.trial_id = "t";
  a.seed = 42;
  a.threads = 1;
  a.config.data.path = data::resolve_dataset("mnist", ".");
  a.config.data.train_limit = 1000;
  a.config.data.test_limit = 300;
  a.config.model.hidden = {64};
  a.config.model.latent = 16;
  a.config.train.epochs = 3;
  a.config.train.batch_size = 50;
  a.config.train.lr = 3e-3;
  a.config.train.device = "cpu";
  return a;
}

struct Run {
  runner::Metrics final_metrics;
  std::vector<runner::Metrics> epochs;
  runner::Artifacts artifacts;
};

Run train(const runner::Assignment& a) {
  Run r;
  cluster::Group alone(*g_mpi, MPI_COMM_SELF);
  auto out = runner::train_trial(a, alone, [&](std::int64_t epoch, const runner::Metrics& m) {
    EXPECT_EQ(epoch, static_cast<std::int64_t>(r.epochs.size()) + 1);
    r.epochs.push_back(m);
  });
  r.final_metrics = out.metrics;
  r.artifacts = out.artifacts;
  return r;
}

double get(const runner::Metrics& m, const std::string& name) {
  for (const auto& [k, v] : m)
    if (k == name) return v;
  ADD_FAILURE() << "no metric " << name;
  return 0;
}

}  // namespace

TEST(Training, LearnsAndReportsEveryMetric) {
  auto r = train(small_trial());
  ASSERT_EQ(r.epochs.size(), 3u);
  EXPECT_LT(get(r.epochs[2], "train_loss"), 0.8 * get(r.epochs[0], "train_loss"));
  EXPECT_LT(get(r.epochs[2], "test_recon_mse"), get(r.epochs[0], "test_recon_mse"));
  EXPECT_DOUBLE_EQ(get(r.final_metrics, "recon_mse"), get(r.epochs[2], "test_recon_mse"));
  double weighted = 0;
  for (int k = 0; k < 10; ++k) {
    double v = get(r.final_metrics, "recon_mse_class_" + std::to_string(k));
    EXPECT_GT(v, 0);
    weighted += v;
  }
  // Ones are the easiest digit to reconstruct (document 004).
  EXPECT_LT(get(r.final_metrics, "recon_mse_class_1"), weighted / 10);
  double acc = get(r.final_metrics, "probe_accuracy");
  EXPECT_GT(acc, 0.5) << "codes of a trained AE separate digits far above chance (0.1)";
  EXPECT_LE(acc, 1.0);
  EXPECT_GT(get(r.final_metrics, "samples_per_s"), 0);
  EXPECT_GT(get(r.final_metrics, "seconds"), 0);
}

TEST(Training, SameTrialSameThreadsGivesTheSameMetrics) {
  auto a = train(small_trial()), b = train(small_trial());
  for (const auto& [k, v] : a.final_metrics)
    if (k != "samples_per_s" && k != "seconds") {
      EXPECT_EQ(v, get(b.final_metrics, k)) << k;
    }
  for (std::size_t e = 0; e < a.epochs.size(); ++e) EXPECT_EQ(a.epochs[e], b.epochs[e]);
  auto other = small_trial();
  other.seed = 43;
  EXPECT_NE(get(train(other).final_metrics, "recon_mse"), get(a.final_metrics, "recon_mse"));
}

TEST(Training, DivergenceThrowsWithEpochAndStep) {
  auto a = small_trial();
  a.config.train.lr = 1e30;
  try {
    train(a);
    FAIL() << "expected a non-finite loss";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("loss is"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("epoch"), std::string::npos) << e.what();
  }
}

TEST(Messages, RoundTripThroughBoostSerialization) {
  auto a = small_trial();
  a.config.model.hidden = {512, 128};
  auto b = runner::unpack<runner::Assignment>(runner::pack(a));
  EXPECT_EQ(b.trial_id, a.trial_id);
  EXPECT_EQ(b.seed, a.seed);
  EXPECT_EQ(b.config.model.hidden, a.config.model.hidden);
  EXPECT_EQ(b.config.data.path, a.config.data.path);
  EXPECT_EQ(b.config.train.lr, a.config.train.lr);
  runner::TrialResult r{"x",
                        runner::Outcome::kInterrupted,
                        "boom",
                        std::string("ck\0pt", 5),
                        {{"recon_mse", 0.5}},
                        {{"reconstructions", std::string("\x89PNG\0\1", 6)}}};
  auto r2 = runner::unpack<runner::TrialResult>(runner::pack(r));
  EXPECT_EQ(r2.outcome, runner::Outcome::kInterrupted);
  EXPECT_EQ(r2.checkpoint, r.checkpoint);
  EXPECT_EQ(r2.error, "boom");
  EXPECT_EQ(r2.final_metrics, r.final_metrics);
  EXPECT_EQ(r2.artifacts, r.artifacts) << "binary PNG bytes survive the archive";
}

TEST(Training, EveryKindLearnsAndReportsItsOwnMetrics) {
  const std::map<std::string, std::vector<std::string>> own = {
      {"dense", {}},
      {"sparse_l1", {"active_fraction", "dead_fraction"}},
      {"sparse_binary", {"active_fraction", "dead_fraction"}},
      {"contractive", {"jacobian_fro"}},
      {"conv", {}},
      {"randomized", {}},
      {"vae", {"kl_prior", "elbo", "compression_kl", "mi_bound", "adversary_accuracy"}},
      {"icvae", {"kl_prior", "elbo", "compression_kl", "mi_bound", "adversary_accuracy"}},
  };
  for (const auto& [kind, names] : own) {
    auto a = small_trial();
    a.config.model.kind = kind;
    a.config.train.epochs = 4;
    if (kind == "sparse_binary") a.config.model.latent = 256, a.config.loss.lambda = 1e-4;
    if (kind == "sparse_l1" || kind == "contractive") a.config.loss.lambda = 1e-3;
    if (kind == "icvae") a.config.loss.beta = 0.1, a.config.loss.lambda = 1.0;
    if (kind == "randomized")
      a.config.train.epochs = 4, a.config.model.hidden = {};  // one layer: one stage
    auto r = train(a);
    ASSERT_EQ(r.epochs.size(), 4u) << kind;
    EXPECT_LT(get(r.epochs[3], "train_loss"), 0.8 * get(r.epochs[0], "train_loss")) << kind;
    EXPECT_LT(get(r.epochs[3], "test_recon_mse"), get(r.epochs[0], "test_recon_mse")) << kind;
    for (const auto& name : names) {
      double v = get(r.final_metrics, name);
      EXPECT_TRUE(std::isfinite(v)) << kind << " " << name;
    }
    if (kind == "vae" || kind == "icvae") {
      EXPECT_EQ(get(r.epochs[0], "beta"), a.config.loss.beta) << kind;
    }
    if (kind == "sparse_binary" || kind == "sparse_l1") {
      EXPECT_GT(get(r.final_metrics, "active_fraction"), 0) << kind;
      EXPECT_LT(get(r.final_metrics, "active_fraction"), 1) << kind;
    }
  }
}

TEST(Training, ShiftEncoderLearnsWithPlainAndVariationalKinds) {
  for (const char* kind : {"dense", "vae"}) {
    auto a = small_trial();
    a.config.model.kind = kind;
    a.config.model.encoder = "shift";
    a.config.train.epochs = 4;
    auto r = train(a);
    EXPECT_LT(get(r.epochs[3], "train_loss"), 0.8 * get(r.epochs[0], "train_loss")) << kind;
  }
}

TEST(Training, CyclicalAnnealingIsRecordedAsTheBetaSeries) {
  auto a = small_trial();
  a.config.model.kind = "vae";
  a.config.train.epochs = 4;
  a.config.loss.beta = 2.0;
  a.config.kl.schedule = "cyclical";
  a.config.kl.cycles = 2;
  a.config.kl.ratio = 0.5;
  auto r = train(a);
  const double expected[] = {0.0, 2.0, 0.0,
                             2.0};  // two cycles of two epochs, rising over the first
  for (int e = 0; e < 4; ++e) EXPECT_DOUBLE_EQ(get(r.epochs[e], "beta"), expected[e]) << e;
}

TEST(Training, CorruptedInputsReportHowInvariantTheCodeIs) {
  for (bool mask_input : {false, true}) {
    auto a = small_trial();
    a.config.corruption.kind = "blotch";
    a.config.corruption.mask_input = mask_input;
    auto r = train(a);
    EXPECT_LT(get(r.epochs[2], "train_loss"), get(r.epochs[0], "train_loss"));
    double corrupted = get(r.final_metrics, "recon_mse_corrupted");
    EXPECT_GT(corrupted, get(r.final_metrics, "recon_mse"))
        << "blotted inputs are harder to reconstruct";
    double gap = get(r.final_metrics, "invariance_gap");
    EXPECT_GT(gap, 0);
    EXPECT_TRUE(std::isfinite(gap));
  }
}

namespace {

// Width and height from a PNG's IHDR.
std::pair<int, int> png_size(const std::string& png) {
  auto be = [&](std::size_t at) {
    return (int(std::uint8_t(png[at])) << 24) | (int(std::uint8_t(png[at + 1])) << 16) |
           (int(std::uint8_t(png[at + 2])) << 8) | int(std::uint8_t(png[at + 3]));
  };
  return {be(16), be(20)};
}

std::map<std::string, std::pair<int, int>> pictures_of(const Run& r) {
  std::map<std::string, std::pair<int, int>> out;
  for (const auto& [kind, png] : r.artifacts) out[kind] = png_size(png);
  return out;
}

}  // namespace

TEST(Pictures, EachFamilyDrawsWhatResearchersLookAt) {
  // 28-pixel tiles 2 pixels apart: n tiles span 30 n + 2 pixels.
  auto a = small_trial();
  a.config.train.epochs = 1;
  auto dense = pictures_of(train(a));
  EXPECT_EQ(dense, (std::map<std::string, std::pair<int, int>>{{"reconstructions", {302, 62}}}));

  a.config.corruption.kind = "blotch";
  EXPECT_EQ(pictures_of(train(a)).at("corruption"), std::make_pair(302, 122))
      << "clean, corrupted, mask, output";

  a = small_trial();
  a.config.train.epochs = 1;
  a.config.model.kind = "icvae";
  EXPECT_EQ(pictures_of(train(a)).at("conditional"), std::make_pair(11 * 30 + 2, 10 * 30 + 2))
      << "each digit decoded with all ten labels, after the original";

  a.config.model.kind = "sparse_binary";
  a.config.model.latent = 64;
  // Up to 100 test digits per class (the 300-digit test subset holds fewer) by 64 code units.
  auto sparse = pictures_of(train(a));
  EXPECT_EQ(sparse.at("code_activity").first, 64);
  EXPECT_EQ(sparse.at("code_activity").second, 300);
}

TEST(Randomized, BuildsTheDeepAutoencoderLayerByLayer) {
  auto a = small_trial();
  a.config.model.kind = "randomized";
  a.config.model.hidden = {128};
  a.config.model.latent = 32;
  a.config.train.epochs = 3;
  torch::Tensor weights;
  cluster::Group alone(*g_mpi, MPI_COMM_SELF);
  std::vector<runner::Metrics> epochs;
  auto out = runner::train_trial(
      a, alone, [&](std::int64_t, const runner::Metrics& m) { epochs.push_back(m); }, &weights);
  ASSERT_EQ(epochs.size(), 6u) << "two layers, three epochs each";
  // Within each stage its shallow AE learns.
  EXPECT_LT(get(epochs[2], "train_loss"), get(epochs[0], "train_loss"));
  EXPECT_LT(get(epochs[5], "train_loss"), get(epochs[3], "train_loss"));
  // What the method is for (document 001 reports classification accuracy): codes that separate
  // digits far above chance (0.1). Its deep reconstruction is poor by construction (each decoder
  // was fitted to the random encoder's codes, then the encoder becomes W_d^T): only finite here.
  EXPECT_GT(get(out.metrics, "probe_accuracy"), 0.5);
  EXPECT_TRUE(std::isfinite(get(out.metrics, "recon_mse")));
  std::cout << "randomized: recon_mse " << get(out.metrics, "recon_mse") << ", probe_accuracy "
            << get(out.metrics, "probe_accuracy") << "\n";
}

TEST(Randomized, DeepEncoderLayersAreTheTrainedDecodersTransposedAndShallowEncodersStayRandom) {
  sweeps::ModelConfig c;
  c.kind = "randomized";
  c.hidden = {6};
  c.latent = 3;
  auto model = models::make_autoencoder(c, 10, 10, 10);
  auto params = model->named_parameters();
  auto random_before = params["random1.weight"].clone();
  ASSERT_EQ(model->stages(), 2);
  model->begin_stage(0);
  auto x = torch::rand({8, 10});
  model->loss({x, x, torch::zeros({8}, torch::kInt64), {}}, {}).total.backward();
  EXPECT_FALSE(params["random1.weight"].grad().defined()) << "the shallow encoder is fixed";
  EXPECT_TRUE(params["decoder1.weight"].grad().defined());
  model->end_stage(0);
  EXPECT_TRUE(torch::equal(params["encoder1.weight"], params["decoder1.weight"].t()));
  EXPECT_TRUE(torch::equal(params["random1.weight"], random_before));
}
