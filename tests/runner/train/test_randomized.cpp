// The randomized deep autoencoder (document 001), trained layer by layer in stages.
#include <gtest/gtest.h>

#include <cmath>

#include "cluster/group.h"
#include "models/autoencoder.h"
#include "runner/train/training.h"
#include "tests/mpi_test_main.h"
#include "tests/testutil.h"

using testutil::metric;

TEST(Randomized, BuildsTheDeepAutoencoderLayerByLayer) {
  auto a = testutil::tiny_trial("t", 42, 1000, 300);
  a.config.model.kind = sweeps::ModelKind::kRandomized;
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
  EXPECT_LT(metric(epochs[2], "train_loss"), metric(epochs[0], "train_loss"));
  EXPECT_LT(metric(epochs[5], "train_loss"), metric(epochs[3], "train_loss"));
  // What the method is for (document 001 reports classification accuracy): codes that separate
  // digits far above chance (0.1). Its deep reconstruction is poor by construction (each decoder
  // was fitted to the random encoder's codes, then the encoder becomes W_d^T): only finite here.
  EXPECT_GT(metric(out.metrics, "probe_accuracy"), 0.5);
  EXPECT_TRUE(std::isfinite(metric(out.metrics, "recon_mse")));
  std::cout << "randomized: recon_mse " << metric(out.metrics, "recon_mse") << ", probe_accuracy "
            << metric(out.metrics, "probe_accuracy") << "\n";
}

TEST(Randomized, DeepEncoderLayersAreTheTrainedDecodersTransposedAndShallowEncodersStayRandom) {
  sweeps::ModelConfig c;
  c.kind = sweeps::ModelKind::kRandomized;
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
