// A module brought in as TorchScript trains through the runner's loop exactly as the built-in
// model it mirrors.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>

#include "cluster/group.h"
#include "models/autoencoder.h"
#include "models/torchscript.h"
#include "runner/train/training.h"
#include "tests/mpi_test_main.h"
#include "tests/testutil.h"
#include "util/files.h"

namespace {

struct Trained {
  runner::Metrics final_metrics;
  std::vector<runner::Metrics> epochs;
};

Trained train(const runner::Assignment& a) {
  Trained r;
  cluster::Group alone(*g_mpi, MPI_COMM_SELF);
  r.final_metrics = runner::train_trial(a, alone, [&](std::int64_t, const runner::Metrics& m) {
                      r.epochs.push_back(m);
                    }).metrics;
  return r;
}

// Every value of `a` (timings aside) within `tolerance` of `b`'s, relative; the same names.
void expect_close(const runner::Metrics& a, const runner::Metrics& b, double tolerance,
                  const std::string& where) {
  std::size_t compared = 0;
  for (const auto& [name, value] : a) {
    if (util::is_timing(name) || name == "samples_per_s") continue;
    const double other = testutil::metric(b, name);
    EXPECT_LE(std::abs(value - other), tolerance * std::max(std::abs(value), 1e-12))
        << where << " " << name << ": " << value << " against " << other;
    ++compared;
  }
  EXPECT_EQ(a.size(), b.size()) << where;
  EXPECT_GT(compared, 0u) << where;
}

}  // namespace

// tests/models/make_modules.py's Dense is the built-in `dense` (784-256-64, ReLU, sigmoid output)
// written in PyTorch. Given the weights the built-in model draws from the trial's seed, the
// runner trains it to the same series and final metrics.
TEST(TorchScript, TrainsAsTheBuiltInDenseGivenItsWeights) {
  auto dense = testutil::tiny_trial("same", 11, 1000, 300);
  dense.config.model.hidden = {256};
  dense.config.model.latent = 64;
  dense.config.train.epochs = 2;
  torch::manual_seed(static_cast<std::uint64_t>(dense.seed));  // as the trainer builds it
  const auto built = models::make_autoencoder(dense.config.model, 784, 784, 10);
  const std::string file = std::string(RUNNER_TORCHSCRIPT_DIR) + "/dense.pt";
  auto module = models::load_module(util::read_file(file), file);
  const auto theirs = built->parameters();
  std::size_t i = 0;
  {
    torch::NoGradGuard no_grad;
    for (const auto& p : module.parameters()) {
      ASSERT_LT(i, theirs.size());
      ASSERT_EQ(p.sizes(), theirs[i].sizes()) << "parameter " << i;
      p.copy_(theirs[i++]);
    }
  }
  ASSERT_EQ(i, theirs.size());
  const auto same = std::filesystem::temp_directory_path() /
                    ("runner-same-" + std::to_string(::getpid()) + ".pt");
  module.save(same.string());

  auto scripted = dense;
  scripted.config.model.kind = sweeps::ModelKind::kTorchscript;
  scripted.config.model.file = same.string();
  const Trained a = train(dense), b = train(scripted);
  std::filesystem::remove(same);
  ASSERT_EQ(a.epochs.size(), b.epochs.size());
  for (std::size_t e = 0; e < a.epochs.size(); ++e)
    expect_close(a.epochs[e], b.epochs[e], 1e-5, "epoch " + std::to_string(e + 1));
  expect_close(a.final_metrics, b.final_metrics, 1e-5, "final");
}
