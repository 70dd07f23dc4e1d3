#include <gtest/gtest.h>
#include <torch/torch.h>

#include "models/corruptions.h"

TEST(Blotch, MasksKeepTheShareTheThresholdSays) {
  torch::manual_seed(0);
  auto t = torch::tensor({0.3f, 0.5f, 0.8f, 0.0f, 1.0f});
  auto masks = models::blotch_masks(t, 28, 28);
  ASSERT_EQ(masks.sizes(), (std::vector<std::int64_t>{5, 784}));
  auto kept = masks.sum(1) / 784.0;
  for (int i = 0; i < 5; ++i)
    EXPECT_NEAR(kept[i].item<float>(), t[i].item<float>(), 1.0 / 784 + 1e-6) << i;
  EXPECT_TRUE(masks.eq(0).logical_or(masks.eq(1)).all().item<bool>());
}

TEST(Blotch, MasksAreSmoothBlotchesNotSpeckle) {
  torch::manual_seed(1);
  auto masks = models::blotch_masks(torch::full({200}, 0.5f), 28, 28).view({200, 28, 28});
  // Share of horizontally adjacent pixels that agree: 1/2 for independent pixels at t = 1/2.
  auto agree =
      masks.narrow(2, 1, 27).eq(masks.narrow(2, 0, 27)).to(torch::kFloat32).mean().item<float>();
  EXPECT_GT(agree, 0.85f);
  // And they differ from image to image.
  EXPECT_FALSE(torch::equal(masks[0], masks[1]));
}

TEST(Corruptions, EachKindHitsWhatItSays) {
  torch::manual_seed(2);
  auto clean = torch::full({100, 784}, 0.5f);
  sweeps::CorruptionConfig c;
  c.kind = sweeps::CorruptionKind::kMasking;
  c.level = 0.25;
  auto m = models::corrupt(c, clean, 28, 28);
  EXPECT_NEAR(1 - m.mask.mean().item<float>(), 0.25, 0.01);
  EXPECT_TRUE(torch::equal(m.image, clean * m.mask));

  c.kind = sweeps::CorruptionKind::kSaltPepper;
  c.level = 0.1;
  auto sp = models::corrupt(c, clean, 28, 28);
  auto hit = sp.mask.eq(0);
  EXPECT_NEAR(hit.to(torch::kFloat32).mean().item<float>(), 0.1, 0.01);
  auto hit_values = sp.image.masked_select(hit);
  EXPECT_TRUE(hit_values.eq(0).logical_or(hit_values.eq(1)).all().item<bool>());
  EXPECT_TRUE(sp.image.masked_select(hit.logical_not()).eq(0.5).all().item<bool>());

  c.kind = sweeps::CorruptionKind::kGaussian;
  c.level = 0.1;
  auto g = models::corrupt(c, clean, 28, 28);
  EXPECT_NEAR((g.image - clean).std().item<float>(), 0.1, 0.005);
  EXPECT_GE(g.image.min().item<float>(), 0.0f);

  c.kind = sweeps::CorruptionKind::kBlotch;
  c.threshold_min = 0.4;
  c.threshold_max = 0.6;
  auto b = models::corrupt(c, clean, 28, 28);
  auto kept = b.mask.mean(1);
  EXPECT_GE(kept.min().item<float>(), 0.4 - 1.0 / 784);
  EXPECT_LE(kept.max().item<float>(), 0.6 + 1.0 / 784);
  EXPECT_TRUE(torch::equal(b.image, clean * b.mask));
  c.mask_input = true;
  EXPECT_EQ(models::network_input(c, b).size(1), 2 * 784);
  EXPECT_EQ(models::input_width(c, 784), 2 * 784);
}

TEST(Corruptions, CleanInputHasAMaskOfOnesOnlyWhereTheNetworkSeesIt) {
  sweeps::CorruptionConfig c;
  const auto x = torch::rand({5, 784});
  // Without mask_input the images themselves, no copy made.
  EXPECT_EQ(models::clean_input(c, x).data_ptr(), x.data_ptr());
  c.mask_input = true;
  const auto both = models::clean_input(c, x);
  ASSERT_EQ(both.size(1), 2 * 784);
  EXPECT_TRUE(torch::equal(both.narrow(1, 0, 784), x));
  EXPECT_TRUE(torch::equal(both.narrow(1, 784, 784), torch::ones_like(x)));
}
