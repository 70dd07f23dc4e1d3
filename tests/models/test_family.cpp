// Every model.kind of the key table has its family's entries (models/family.h), and what a family
// says of itself agrees with the model it builds.
#include <gtest/gtest.h>

#include "models/family.h"
#include "sweeps/schema.h"

namespace {

TEST(Family, EveryKindOfTheKeyTableHasItsFamilysEntries) {
  const auto* key = sweeps::find_key("model.kind");
  ASSERT_NE(key, nullptr);
  ASSERT_FALSE(key->choices.empty());
  for (const auto& name : key->choices) {
    const auto kind = sweeps::enum_from<sweeps::ModelKind>(name);
    ASSERT_TRUE(kind.has_value()) << name;
    const models::Family& f = models::family_of(*kind);
    ASSERT_TRUE(f.make && f.stages && f.unfusable_reason) << name;
    sweeps::ModelConfig c;
    c.kind = *kind;
    c.hidden = {32};
    c.latent = 8;
    c.channels = {4};
    c.file = std::string(RUNNER_TORCHSCRIPT_DIR) + "/dense.pt";  // a torchscript module
    // A family that fuses some of its configs has a batched loss.
    EXPECT_TRUE(f.fused_loss || !f.unfusable_reason(c).empty()) << name;
    const auto model = f.make(c, 784, 784, 10);
    ASSERT_NE(model, nullptr) << name;
    EXPECT_EQ(model->stages(), f.stages(c)) << name << ": the model trains in its family's stages";
  }
}

TEST(Family, EachKindBelongsToOneFamily) {
  for (const auto& name : sweeps::find_key("model.kind")->choices) {
    int owners = 0;
    for (const auto* f : models::families())
      for (auto k : f->kinds) owners += sweeps::name_of(k) == name ? 1 : 0;
    EXPECT_EQ(owners, 1) << name;
  }
}

TEST(Family, SeriesEpochsCountEveryStage) {
  sweeps::TrialConfig c;
  c.train.epochs = 3;
  c.model.hidden = {64, 32};
  c.model.kind = sweeps::ModelKind::kDense;
  EXPECT_EQ(models::series_epochs(c), 3);
  c.model.kind = sweeps::ModelKind::kRandomized;
  EXPECT_EQ(models::series_epochs(c), 9) << "one stage per hidden layer, and the code's";
}

}  // namespace
