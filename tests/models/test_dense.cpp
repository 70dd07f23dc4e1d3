#include <gtest/gtest.h>
#include <torch/torch.h>

#include "models/autoencoder.h"
#include "models/conv.h"
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
    c.activation = act;
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
  c.kind = "nope";
  EXPECT_THROW(models::make_autoencoder(c, 10, 10, 10), std::invalid_argument);
}

TEST(ConvAE, PoolsToTheCodeAndTransposesBackToTheImage) {
  sweeps::ModelConfig c;
  c.kind = "conv";
  c.channels = {4, 8};
  c.latent = 10;
  auto model = models::make_autoencoder(c, 784, 784, 10);
  auto conv = std::dynamic_pointer_cast<models::ConvAEImpl>(model);
  ASSERT_TRUE(conv);
  auto x = torch::rand({3, 784});
  EXPECT_EQ(model->encode(x).sizes().vec(), (std::vector<std::int64_t>{3, 10}));
  auto y = model->reconstruct(x, {});
  EXPECT_EQ(y.sizes(), x.sizes());
  EXPECT_EQ(conv->to_code->weight.size(1), 8 * 7 * 7) << "28 -> 14 -> 7 after two poolings";
  // The mask rides as a second channel.
  EXPECT_EQ(models::make_autoencoder(c, 2 * 784, 784, 10)
                ->reconstruct(torch::rand({2, 2 * 784}), {})
                .size(1),
            784);
  c.channels = {4, 8, 16};  // 28 does not halve three times into whole pixels
  EXPECT_THROW(models::make_autoencoder(c, 784, 784, 10), std::invalid_argument);
}

TEST(ShiftEncoder, IsDocument000sShiftApproximatorWithASinCode) {
  sweeps::ModelConfig c;
  c.encoder = "shift";
  c.hidden = {32};
  c.shift_layers = 4;
  c.latent = 12;
  auto model =
      std::dynamic_pointer_cast<models::DenseAEImpl>(models::make_autoencoder(c, 784, 784, 10));
  ASSERT_TRUE(model);
  EXPECT_EQ(model->encoder->size(), 7u) << "Linear, four shift layers, Linear, sin";
  auto z = model->encode(torch::rand({5, 784}));
  EXPECT_EQ(z.size(1), 12);
  EXPECT_LE(z.abs().max().item<float>(), 1.0f) << "a sin code";
  EXPECT_EQ(model->reconstruct(torch::rand({2, 784}), {}).size(1), 784);
}

TEST(ShiftEncoder, EachLayerMovesTheShareUTowardsItsActivation) {
  // One layer: u = 1 - (1/3)^(1/1) = 2/3 of the way from x to tanh(W x + b).
  auto seq = models::shift_approximator(3, 4, 1, 2);
  auto params = seq->named_parameters();
  auto x = torch::randn({5, 3});
  auto h = torch::addmm(params["0.bias"], x, params["0.weight"].t());
  auto toward =
      torch::tanh(torch::addmm(params["1.linear.bias"], h, params["1.linear.weight"].t()));
  auto shifted = h + (2.0 / 3.0) * (toward - h);
  auto expected = torch::addmm(params["2.bias"], shifted, params["2.weight"].t());
  EXPECT_TRUE(torch::allclose(seq->forward(x), expected, 1e-5, 1e-6));
}
