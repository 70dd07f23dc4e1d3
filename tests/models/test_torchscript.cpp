// Modules brought in as TorchScript (models/torchscript.h), made by tests/models/make_modules.py:
// what is refused and why, and that the model trains the module's own parameters.
#include <gtest/gtest.h>

#include "models/torchscript.h"
#include "util/files.h"

namespace {

std::string module_file(const std::string& name) {
  return std::string(RUNNER_TORCHSCRIPT_DIR) + "/" + name + ".pt";
}

torch::jit::Module load(const std::string& name) {
  return models::load_module(util::read_file(module_file(name)), module_file(name));
}

// The message of the ModuleError `f` throws ("" when it throws none).
template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const models::ModuleError& e) {
    return e.what();
  }
  return "";
}

std::shared_ptr<models::TorchScriptAEImpl> model(const std::string& name, std::uint64_t seed) {
  torch::manual_seed(seed);
  return std::make_shared<models::TorchScriptAEImpl>(load(name));
}

}  // namespace

TEST(TorchScript, LoadRefusesWhatItCannotTrain) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"state_dict", "state_dict.pt is not a TorchScript module (torch.jit.script(model)"},
      {"no_encode", "no_encode.pt has no method encode(): mark it @torch.jit.export"},
      {"with_buffer", "with_buffer.pt has a buffer, norm.running_mean: buffers are not supported"},
  };
  for (const auto& [name, expected] : cases) {
    const auto message = error_of([&] { load(name); });
    EXPECT_NE(message.find(expected), std::string::npos) << name << ": " << message;
  }
  EXPECT_EQ(error_of([] { load("dense"); }), "");
}

TEST(TorchScript, CheckRefusesOutputsThatDoNotFit) {
  const auto batch = torch::rand({5, 784});
  const std::vector<std::tuple<std::string, torch::Tensor, std::string>> cases = {
      {"wrong_width", batch,
       "decode must return (batch, 784) images; on codes of shape (5, 8) it returns (5, 100)"},
      {"pixel_loss", batch,
       "loss must return a floating-point scalar; it returns Float of shape (5, 784)"},
      // Twice the pixels, as with corruption.mask_input: the first Linear does not take them.
      {"dense", torch::rand({5, 1568}), "encode on a batch of shape (5, 1568) fails: "},
  };
  for (const auto& [name, input, expected] : cases) {
    const auto message = error_of([&] { models::check_module(load(name), input, 784); });
    EXPECT_NE(message.find(expected), std::string::npos) << name << ": " << message;
  }
  EXPECT_EQ(models::check_module(load("dense_reset"), batch, 784), "");
  // A loss that takes derivatives of its own is called with gradients on, as training calls it.
  EXPECT_EQ(error_of([&] { models::check_module(load("jacobian_loss"), batch, 784); }), "");
  EXPECT_EQ(models::check_module(load("dense"), batch, 784),
            "it has no reset_parameters(): every repeat starts from the file's weights");
}

TEST(TorchScript, ResetParametersDrawsFromTheTrialsSeed) {
  auto weights = [](const std::string& name, std::uint64_t seed) {
    return torch::cat([&] {
      std::vector<torch::Tensor> flat;
      for (const auto& p : model(name, seed)->parameters()) flat.push_back(p.reshape(-1));
      return flat;
    }());
  };
  EXPECT_TRUE(torch::equal(weights("dense_reset", 1), weights("dense_reset", 1)));
  EXPECT_FALSE(torch::equal(weights("dense_reset", 1), weights("dense_reset", 2)));
  // Without reset_parameters(), every seed starts from the file's weights.
  EXPECT_TRUE(torch::equal(weights("dense_small", 1), weights("dense_small", 2)));
}

TEST(TorchScript, ModulesParametersAreTheModelsOwn) {
  auto m = model("dense_small", 1);
  ASSERT_EQ(m->parameters().size(), 8u);
  torch::NoGradGuard no_grad;
  const auto x = torch::rand({3, 784});
  const auto before = m->encode(x);
  // Re-seated elsewhere, as the optimizer's flat buffer does: the module computes with it.
  auto bias = m->parameters()[3];  // the code layer's
  bias.set_(bias + 5.0);
  EXPECT_TRUE(torch::allclose(m->encode(x), before + 5.0, 1e-5, 1e-5));
}

TEST(TorchScript, LossIsTheModulesWithBetaOrTheDefaultWithLambda) {
  auto m = model("beta_loss", 1);
  torch::NoGradGuard no_grad;
  const auto x = torch::rand({6, 784});
  models::Batch b{x, x, torch::Tensor(), torch::Tensor()};
  const double full = m->loss(b, {1.0, 0.0}).total.item<double>();
  EXPECT_NEAR(m->loss(b, {0.25, 0.0}).total.item<double>(), 0.25 * full, 1e-6 * full);

  // The default: MSE, plus lambda times the codes' L1 norm, mean over the batch.
  auto d = model("dense_small", 1);
  const auto z = d->encode(x);
  const double mse = torch::mse_loss(d->decode(z), x).item<double>();
  const auto plain = d->loss(b, {1.0, 0.0});
  EXPECT_DOUBLE_EQ(plain.total.item<double>(), mse);
  const double l1 = z.abs().sum(1).mean().item<double>();
  EXPECT_NEAR(d->loss(b, {1.0, 0.01}).total.item<double>(), mse + 0.01 * l1, 1e-6);
}
