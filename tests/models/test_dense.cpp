#include <gtest/gtest.h>
#include <torch/torch.h>

#include "models/autoencoder.h"
#include "models/dense.h"

TEST(DenseAE, MirrorsTheEncoderAndOutputsPixels) {
  sweeps::ModelConfig c;
  c.hidden = {128, 32};
  c.latent = 8;
  auto model = models::make_autoencoder(c, 784, 784, 10);
  auto dense = std::dynamic_pointer_cast<models::DenseAEImpl>(model);
  ASSERT_TRUE(dense);
  // Linear layers: 784-128-32-8 and back 8-32-128-784.
  std::vector<std::vector<std::int64_t>> shapes;
  for (const auto& p : model->named_parameters())
    if (p.key().find("weight") != std::string::npos) shapes.push_back(p.value().sizes().vec());
  std::vector<std::vector<std::int64_t>> expected = {{128, 784}, {32, 128}, {8, 32},
                                                     {32, 8},    {128, 32}, {784, 128}};
  EXPECT_EQ(shapes, expected);
  auto x = torch::rand({5, 784});
  auto z = model->encode(x);
  EXPECT_EQ(z.sizes().vec(), (std::vector<std::int64_t>{5, 8}));
  auto y = model->reconstruct(x, torch::zeros({5}, torch::kInt64));
  EXPECT_EQ(y.sizes(), x.sizes());
  EXPECT_GE(y.min().item<float>(), 0.0f);
  EXPECT_LE(y.max().item<float>(), 1.0f);
}

TEST(DenseAE, EveryActivationBuildsAndNoHiddenLayerIsLinear) {
  for (const char* act : {"relu", "tanh", "sigmoid", "sin"}) {
    sweeps::ModelConfig c;
    c.activation = *sweeps::enum_from<sweeps::Activation>(act);
    c.hidden = {16};
    c.latent = 4;
    auto y = models::make_autoencoder(c, 20, 20, 10)
                 ->reconstruct(torch::rand({3, 20}), torch::zeros({3}, torch::kInt64));
    EXPECT_TRUE(torch::isfinite(y).all().item<bool>()) << act;
  }
  sweeps::ModelConfig c;
  c.hidden = {};
  c.latent = 4;
  auto m = std::dynamic_pointer_cast<models::DenseAEImpl>(models::make_autoencoder(c, 20, 20, 10));
  EXPECT_EQ(m->encoder->size(), 1u);  // one Linear, no activation on the code
}

TEST(DenseAE, LossIsMeanSquaredErrorPerPixel) {
  sweeps::ModelConfig c;
  c.hidden = {8};
  c.latent = 2;
  auto model = models::make_autoencoder(c, 10, 10, 10);
  auto x = torch::rand({4, 10});
  auto losses = model->loss({x, x, torch::zeros({4}, torch::kInt64), {}}, {});
  auto manual = (model->reconstruct(x, {}) - x).pow(2).sum() / 40.0;
  EXPECT_NEAR(losses.total.item<double>(), manual.item<double>(), 1e-6);
}

TEST(DenseAE, UnknownKindIsRejected) {
  sweeps::ModelConfig c;
  c.kind = static_cast<sweeps::ModelKind>(99);  // not a kind a sweep can name
  EXPECT_THROW(models::make_autoencoder(c, 10, 10, 10), std::invalid_argument);
}
