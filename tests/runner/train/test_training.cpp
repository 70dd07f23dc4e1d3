#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>

#include "cluster/group.h"
#include "runner/train/evaluation.h"
#include "runner/train/pictures.h"
#include "runner/train/training.h"
#include "sweeps/metrics.h"
#include "tests/mpi_test_main.h"
#include "tests/testutil.h"
#include "util/shuffle.h"

namespace {

runner::Assignment small_trial() {
  return testutil::tiny_trial("t", 42, 1000, 300);
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

using testutil::metric;

}  // namespace

TEST(Training, LearnsAndReportsEveryMetric) {
  auto r = train(small_trial());
  ASSERT_EQ(r.epochs.size(), 3u);
  EXPECT_LT(metric(r.epochs[2], "train_loss"), 0.8 * metric(r.epochs[0], "train_loss"));
  EXPECT_LT(metric(r.epochs[2], "test_recon_mse"), metric(r.epochs[0], "test_recon_mse"));
  EXPECT_DOUBLE_EQ(metric(r.final_metrics, "recon_mse"), metric(r.epochs[2], "test_recon_mse"));
  double weighted = 0;
  for (int k = 0; k < 10; ++k) {
    double v = metric(r.final_metrics, "recon_mse_class_" + std::to_string(k));
    EXPECT_GT(v, 0);
    weighted += v;
  }
  // Ones are the easiest digit to reconstruct (document 004).
  EXPECT_LT(metric(r.final_metrics, "recon_mse_class_1"), weighted / 10);
  double acc = metric(r.final_metrics, "probe_accuracy");
  EXPECT_GT(acc, 0.5) << "codes of a trained AE separate digits far above chance (0.1)";
  EXPECT_LE(acc, 1.0);
  EXPECT_GT(metric(r.final_metrics, "samples_per_s"), 0);
  const double seconds = metric(r.final_metrics, "seconds");
  EXPECT_GT(seconds, 0);
  // Where the time went: phases that do not overlap, most of the trial between them.
  double phases = 0;
  for (const char* p :
       {"setup", "train", "evaluation", "checkpoints", "final", "probe", "adversary", "pictures"}) {
    const double s = metric(r.final_metrics, std::string("seconds_") + p);
    EXPECT_GE(s, 0) << p;
    phases += s;
  }
  EXPECT_GT(metric(r.final_metrics, "seconds_train"), 0);
  EXPECT_GT(metric(r.final_metrics, "seconds_probe"), 0);
  EXPECT_LE(phases, seconds);
  EXPECT_GT(phases, 0.5 * seconds);
}

TEST(Training, SameTrialSameThreadsGivesTheSameMetrics) {
  auto a = train(small_trial()), b = train(small_trial());
  for (const auto& [k, v] : a.final_metrics)
    if (!util::is_timing(k)) {
      EXPECT_EQ(v, metric(b.final_metrics, k)) << k;
    }
  for (std::size_t e = 0; e < a.epochs.size(); ++e) EXPECT_EQ(a.epochs[e], b.epochs[e]);
  auto other = small_trial();
  other.seed = 43;
  EXPECT_NE(metric(train(other).final_metrics, "recon_mse"), metric(a.final_metrics, "recon_mse"));
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
    a.config.model.kind = testutil::kind(kind);
    a.config.train.epochs = 4;
    if (kind == "sparse_binary") a.config.model.latent = 256, a.config.loss.lambda = 1e-4;
    if (kind == "sparse_l1" || kind == "contractive") a.config.loss.lambda = 1e-3;
    if (kind == "icvae") a.config.loss.beta = 0.1, a.config.loss.lambda = 1.0;
    if (kind == "randomized")
      a.config.train.epochs = 4, a.config.model.hidden = {};  // one layer: one stage
    auto r = train(a);
    ASSERT_EQ(r.epochs.size(), 4u) << kind;
    EXPECT_LT(metric(r.epochs[3], "train_loss"), 0.8 * metric(r.epochs[0], "train_loss")) << kind;
    EXPECT_LT(metric(r.epochs[3], "test_recon_mse"), metric(r.epochs[0], "test_recon_mse")) << kind;
    for (const auto& name : names) {
      double v = metric(r.final_metrics, name);
      EXPECT_TRUE(std::isfinite(v)) << kind << " " << name;
    }
    // What [sweep.search] may optimise: the catalogue knows every metric a trial records.
    for (const auto& [name, v] : r.final_metrics)
      EXPECT_TRUE(sweeps::is_final_metric(name)) << kind << ": " << name;
    if (kind == "vae" || kind == "icvae") {
      EXPECT_EQ(metric(r.epochs[0], "beta"), a.config.loss.beta) << kind;
      // The last epoch's test ELBO and the final one judge the same model on the same test set.
      const double elbo = metric(r.final_metrics, "elbo");
      EXPECT_NEAR(metric(r.epochs[3], "test_elbo"), elbo, 1e-5 * std::abs(elbo)) << kind;
    }
    if (kind == "sparse_binary" || kind == "sparse_l1") {
      EXPECT_GT(metric(r.final_metrics, "active_fraction"), 0) << kind;
      EXPECT_LT(metric(r.final_metrics, "active_fraction"), 1) << kind;
    }
  }
}

TEST(Training, ShiftEncoderLearnsWithPlainAndVariationalKinds) {
  for (const char* kind : {"dense", "vae"}) {
    auto a = small_trial();
    a.config.model.kind = testutil::kind(kind);
    a.config.model.encoder = sweeps::EncoderKind::kShift;
    a.config.train.epochs = 4;
    auto r = train(a);
    EXPECT_LT(metric(r.epochs[3], "train_loss"), 0.8 * metric(r.epochs[0], "train_loss")) << kind;
  }
}

TEST(Training, CyclicalAnnealingIsRecordedAsTheBetaSeries) {
  auto a = small_trial();
  a.config.model.kind = sweeps::ModelKind::kVae;
  a.config.train.epochs = 4;
  a.config.loss.beta = 2.0;
  a.config.kl.schedule = sweeps::KlSchedule::kCyclical;
  a.config.kl.cycles = 2;
  a.config.kl.ratio = 0.5;
  auto r = train(a);
  const double expected[] = {0.0, 2.0, 0.0,
                             2.0};  // two cycles of two epochs, rising over the first
  for (int e = 0; e < 4; ++e) EXPECT_DOUBLE_EQ(metric(r.epochs[e], "beta"), expected[e]) << e;
}

TEST(Training, CorruptedInputsReportHowInvariantTheCodeIs) {
  for (bool mask_input : {false, true}) {
    auto a = small_trial();
    a.config.corruption.kind = sweeps::CorruptionKind::kBlotch;
    a.config.corruption.mask_input = mask_input;
    auto r = train(a);
    EXPECT_LT(metric(r.epochs[2], "train_loss"), metric(r.epochs[0], "train_loss"));
    double corrupted = metric(r.final_metrics, "recon_mse_corrupted");
    EXPECT_GT(corrupted, metric(r.final_metrics, "recon_mse"))
        << "blotted inputs are harder to reconstruct";
    double gap = metric(r.final_metrics, "invariance_gap");
    EXPECT_GT(gap, 0);
    for (const auto& [name, v] : r.final_metrics)
      EXPECT_TRUE(sweeps::is_final_metric(name)) << name;
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
  // Histograms of 32 bars 3 pixels wide, then 8 quantile tiles; two tiles high per digit.
  const int quantiles_width = 2 + 32 * 3 + 2 + 8 * 30, quantiles_height = 10 * (2 * 28 + 4) + 2;
  EXPECT_EQ(dense, (std::map<std::string, std::pair<int, int>>{
                       {"reconstructions", {302, 62}},
                       {"differences", {302, 92}},
                       {"blending", {9 * 30 + 2, 62}},
                       {"error_quantiles", {quantiles_width, quantiles_height}}}));

  a.config.corruption.kind = sweeps::CorruptionKind::kBlotch;
  EXPECT_EQ(pictures_of(train(a)).at("corruption"), std::make_pair(302, 122))
      << "clean, corrupted, mask, output";

  a = small_trial();
  a.config.train.epochs = 1;
  a.config.model.kind = sweeps::ModelKind::kIcvae;
  EXPECT_EQ(pictures_of(train(a)).at("conditional"), std::make_pair(11 * 30 + 2, 10 * 30 + 2))
      << "each digit decoded with all ten labels, after the original";

  a.config.model.kind = sweeps::ModelKind::kSparseBinary;
  a.config.model.latent = 64;
  // Up to 100 test digits per class (the 300-digit test subset holds fewer) by 64 code units.
  auto sparse = pictures_of(train(a));
  EXPECT_EQ(sparse.at("code_activity").first, 64);
  EXPECT_EQ(sparse.at("code_activity").second, 300);
  EXPECT_EQ(sparse.at("active_bits"), std::make_pair(64 * 3 + 4, 10 * 30 + 2))
      << "a histogram of 64 bars per digit";
}

TEST(Pictures, DifferencesAreRedForExtraInkAndBlueForMissingInk) {
  auto clean = torch::tensor({{0.0f, 1.0f, 0.5f, 0.0f}});
  auto recon = torch::tensor({{1.0f, 0.0f, 0.5f, 0.25f}});
  auto c = runner::difference_colours(clean, recon)[0];  // (3, pixels)
  auto pixel = [&](int i) {
    return std::vector<float>{c[0][i].item<float>(), c[1][i].item<float>(), c[2][i].item<float>()};
  };
  EXPECT_EQ(pixel(0), (std::vector<float>{1, 0, 0})) << "ink where there should be none: red";
  EXPECT_EQ(pixel(1), (std::vector<float>{0, 0, 1})) << "ink missing: blue";
  EXPECT_EQ(pixel(2), (std::vector<float>{1, 1, 1})) << "agreement: white";
  EXPECT_EQ(pixel(3), (std::vector<float>{1, 0.75f, 0.75f})) << "a little extra ink: pale red";
}

namespace {

// The probe stops early (runner::kProbeTolerance): on codes in clusters, as separable as a
// trained AE's and less, it scores within 0.005 of the probe run to LibTorch's tolerance.
TEST(Probe, StoppingEarlyKeepsTheAccuracy) {
  for (const auto& [dim, spread] : {std::pair{8, 2.0}, std::pair{64, 2.0}, std::pair{16, 0.7}}) {
    torch::manual_seed(static_cast<std::uint64_t>(dim));
    const auto centres = torch::randn({10, dim});
    auto codes = [&](std::int64_t n, torch::Tensor& y) {
      y = torch::randint(0, 10, {n}, torch::kInt64);
      return centres.index_select(0, y) + spread * torch::randn({n, dim});
    };
    torch::Tensor y_train, y_test;
    const auto z_train = codes(4000, y_train), z_test = codes(1000, y_test);
    const double tolerant = runner::probe_accuracy(z_train, y_train, z_test, y_test, 10);
    const double exact = runner::probe_accuracy(z_train, y_train, z_test, y_test, 10, 1e-9);
    EXPECT_NEAR(tolerant, exact, 0.005) << "codes of " << dim << " dimensions";
    EXPECT_GT(exact, 0.2) << "the probe learnt something";
  }
}

// The adversary as document 002 trains it, written with autograd and torch's Adam: the
// runner's hand-written gradients and flat Adam must train the same MLP, bit for bit (on the CPU).
torch::nn::Sequential adversary_by_autograd(const torch::Tensor& z_train,
                                            const torch::Tensor& y_train, std::int64_t seed) {
  torch::manual_seed(static_cast<std::uint64_t>(seed) + 1);
  torch::nn::Sequential mlp(torch::nn::Linear(z_train.size(1), 64), torch::nn::ReLU(),
                            torch::nn::Linear(64, 10));
  torch::optim::Adam opt(mlp->parameters(), torch::optim::AdamOptions(1e-3));
  std::mt19937_64 order(static_cast<std::uint64_t>(seed));
  const std::int64_t n = z_train.size(0);
  for (int epoch = 0; epoch < 30; ++epoch) {
    auto perm = torch::tensor(util::permutation(n, order), torch::kInt64);
    for (std::int64_t i = 0; i < n; i += 128) {
      auto idx = perm.narrow(0, i, std::min<std::int64_t>(128, n - i));
      opt.zero_grad();
      torch::cross_entropy_loss(mlp->forward(z_train.index_select(0, idx)),
                                y_train.index_select(0, idx))
          .backward();
      opt.step();
    }
  }
  return mlp;
}

// 3,000 codes: the last batch of each epoch (56) is not a power of two, so 1/56 rounds.
TEST(Adversary, TrainsTheMlpAutogradAndTorchAdamWould) {
  torch::manual_seed(5);
  const auto centres = torch::randn({10, 8});
  auto codes = [&](std::int64_t n, torch::Tensor& y) {
    y = torch::randint(0, 10, {n}, torch::kInt64);
    return centres.index_select(0, y) + 1.5 * torch::randn({n, 8});
  };
  torch::Tensor y_train, y_test;
  const auto z_train = codes(3000, y_train), z_test = codes(1000, y_test);
  auto reference = adversary_by_autograd(z_train, y_train, 7);
  auto adversary = runner::train_adversary(z_train, y_train, 10, 7);
  torch::NoGradGuard no_grad;
  const auto logits = adversary->forward(z_test), expected = reference->forward(z_test);
  EXPECT_TRUE(torch::equal(logits, expected)) << (logits - expected).abs().max().item<double>();
  EXPECT_GT(runner::adversary_accuracy(z_train, y_train, z_test, y_test, 10, 7), 0.3)
      << "it learnt something";
}

}  // namespace
