#include <gtest/gtest.h>

#include "runner/train/flat_adam.h"

// FlatAdam must be Adam: the same trajectory as torch::optim::Adam on the same model and data.
TEST(FlatAdam, FollowsTorchAdam) {
  auto make = [] {
    torch::manual_seed(3);
    return torch::nn::Sequential(torch::nn::Linear(6, 5), torch::nn::Tanh(),
                                 torch::nn::Linear(5, 2));
  };
  auto reference = make(), flat_model = make();
  torch::optim::Adam adam(reference->parameters(), torch::optim::AdamOptions(0.05));
  runner::FlatParameters flat(flat_model->parameters(), 0);
  runner::FlatAdam flat_adam(flat, 0.05);
  auto x = torch::randn({16, 6}), y = torch::randn({16, 2});
  for (int step = 0; step < 25; ++step) {
    adam.zero_grad();
    torch::mse_loss(reference->forward(x), y).backward();
    adam.step();
    flat.zero_grad();
    torch::mse_loss(flat_model->forward(x), y).backward();
    flat_adam.step();
  }
  auto a = reference->parameters(), b = flat_model->parameters();
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i)
    EXPECT_TRUE(torch::allclose(a[i], b[i], 1e-6, 1e-7)) << i;
  // The parameters really live in the flat buffer: moving it moves them.
  flat.values().zero_();
  for (const auto& p : flat_model->parameters()) EXPECT_EQ(p.abs().sum().item<float>(), 0.0f);
}

TEST(FlatParameters, GradientsAccumulateIntoTheBufferWithTheExtraSlotsAfterThem) {
  auto w = torch::ones({2, 3}, torch::requires_grad());
  auto b = torch::zeros({3}, torch::requires_grad());
  runner::FlatParameters flat({w, b}, 2);
  EXPECT_EQ(flat.gradients_and_extra().numel(), 6 + 3 + 2);
  (w.sum() * 2 + b.sum() * 3).backward();
  EXPECT_TRUE(
      torch::equal(flat.gradients(), torch::tensor({2.f, 2.f, 2.f, 2.f, 2.f, 2.f, 3.f, 3.f, 3.f})));
  EXPECT_TRUE(flat.extra().eq(0).all().item<bool>());
  flat.zero_grad();
  EXPECT_EQ(w.grad().abs().sum().item<float>(), 0.0f);
}
