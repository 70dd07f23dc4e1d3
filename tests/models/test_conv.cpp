#include <gtest/gtest.h>
#include <torch/torch.h>

#include "models/autoencoder.h"
#include "models/conv.h"

TEST(ConvAE, PoolsToTheCodeAndTransposesBackToTheImage) {
  sweeps::ModelConfig c;
  c.kind = sweeps::ModelKind::kConv;
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
