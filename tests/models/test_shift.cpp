#include <gtest/gtest.h>
#include <torch/torch.h>

#include "models/autoencoder.h"
#include "models/dense.h"
#include "models/shift.h"

TEST(ShiftEncoder, IsDocument000sShiftApproximatorWithASinCode) {
  sweeps::ModelConfig c;
  c.encoder = sweeps::EncoderKind::kShift;
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
