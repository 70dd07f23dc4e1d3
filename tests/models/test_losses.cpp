#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "models/autoencoder.h"
#include "models/dense.h"
#include "models/losses.h"
#include "models/schedules.h"
#include "models/vae.h"

namespace {

// KL(N(m0, s0) || N(m1, s1)) for diagonal Gaussians, one pair, in double precision, from the
// textbook formula: 1/2 sum_k [ s0/s1 + (m1 - m0)^2 / s1 - 1 + log s1 - log s0 ].
double gaussian_kl(const torch::Tensor& m0, const torch::Tensor& v0, const torch::Tensor& m1,
                   const torch::Tensor& v1) {
  double kl = 0;
  for (std::int64_t k = 0; k < m0.size(0); ++k) {
    double a = v0[k].item<double>(), b = v1[k].item<double>(),
           d = m1[k].item<double>() - m0[k].item<double>();
    kl += 0.5 * (a / b + d * d / b - 1 + std::log(b) - std::log(a));
  }
  return kl;
}

}  // namespace

TEST(PairwiseKl, MatchesADoubleLoopOverPairs) {
  torch::manual_seed(1);
  auto mu = torch::randn({7, 5}, torch::kFloat64);
  auto logvar = torch::randn({7, 5}, torch::kFloat64) * 0.5;
  auto var = logvar.exp() + 1e-8;
  double sum = 0;
  for (int i = 0; i < 7; ++i)
    for (int j = 0; j < 7; ++j) sum += gaussian_kl(mu[i], var[i], mu[j], var[j]);
  EXPECT_NEAR(models::pairwise_gaussian_kl(mu, logvar).item<double>(), sum / 49, 1e-9);
  // Identical codes carry no information about which sample they came from.
  auto same = mu[0].unsqueeze(0).expand({7, 5}).contiguous();
  EXPECT_NEAR(models::pairwise_gaussian_kl(same, logvar[0].unsqueeze(0).expand({7, 5}).contiguous())
                  .item<double>(),
              0, 1e-9);
}

TEST(KlToPrior, MatchesTheClosedForm) {
  auto mu = torch::tensor({{0.5, -1.0}}, torch::kFloat64);
  auto logvar = torch::tensor({{0.0, std::log(4.0)}}, torch::kFloat64);
  // Per dimension 1/2 (var + mu^2 - 1 - log var): 1/2 (1 + .25 - 1 - 0) + 1/2 (4 + 1 - 1 - log 4).
  const double expected = 0.5 * 0.25 + 0.5 * (4 - std::log(4.0));
  EXPECT_NEAR(models::kl_to_prior(mu, logvar)[0].item<double>(), expected, 1e-12);
  EXPECT_NEAR(models::kl_to_prior(mu, logvar)[0].item<double>(),
              gaussian_kl(mu[0], logvar[0].exp(), torch::zeros({2}, torch::kFloat64),
                          torch::ones({2}, torch::kFloat64)),
              1e-12);
}

TEST(Contractive, PenaltyMatchesTheJacobianBuiltByAutogradRowByRow) {
  for (const char* name : {"tanh", "relu", "sigmoid", "sin"}) {
    const auto act = *sweeps::enum_from<sweeps::Activation>(name);
    for (std::vector<std::int64_t> widths :
         {std::vector<std::int64_t>{12, 9, 4}, {12, 10, 7, 3}, {12, 3}}) {
      torch::manual_seed(5);
      auto enc = models::mlp(widths, act);
      enc->to(torch::kFloat64);
      auto x = torch::randn({6, 12}, torch::kFloat64);
      auto fast = models::jacobian_frobenius_sq(models::mlp_view(enc, act), x);
      for (std::int64_t b = 0; b < 6; ++b) {
        auto xb = x[b].unsqueeze(0).clone().requires_grad_(true);
        auto h = enc->forward(xb);
        double sq = 0;
        for (std::int64_t k = 0; k < h.size(1); ++k) {  // one row of dh/dx per code unit
          auto row = torch::autograd::grad({h[0][k]}, {xb}, {}, /*retain_graph=*/true)[0];
          sq += row.pow(2).sum().item<double>();
        }
        EXPECT_NEAR(fast[b].item<double>(), sq, 1e-9 * std::max(1.0, sq))
            << name << " depth " << widths.size();
      }
    }
  }
}

TEST(Contractive, PenaltyTrainsEveryWeightAndHiddenBias) {
  auto enc = models::mlp({8, 6, 3}, sweeps::Activation::kTanh);
  auto view = models::mlp_view(enc, sweeps::Activation::kTanh);
  models::jacobian_frobenius_sq(view, torch::randn({4, 8})).sum().backward();
  for (const auto& w : view.weights) EXPECT_GT(w.grad().abs().sum().item<float>(), 0);
  EXPECT_GT(view.biases[0].grad().abs().sum().item<float>(), 0);
  EXPECT_FALSE(view.biases[1].grad().defined()) << "the code layer's bias cannot change dz/dx";
}

TEST(StraightThrough, StepsForwardAndPassesGradientsBack) {
  auto s = torch::tensor({0.1, 0.5, 0.49, 0.9}, torch::requires_grad());
  auto bits = models::straight_through_step(s, 0.5);
  EXPECT_TRUE(torch::equal(bits.detach(), torch::tensor({0.0, 1.0, 0.0, 1.0}, torch::kFloat64)));
  (bits * torch::tensor({1.0, 2.0, 3.0, 4.0}, torch::kFloat64)).sum().backward();
  EXPECT_TRUE(torch::equal(s.grad(), torch::tensor({1.0, 2.0, 3.0, 4.0}, torch::kFloat64)))
      << "pseudo-derivative 1";
}

TEST(KlSchedule, MatchesATableWorkedByHand) {
  sweeps::KlConfig c;
  EXPECT_EQ(models::kl_factor(c, 3, 10), 1.0);  // constant
  // Cyclical, M = 2 cycles over 10 epochs (5 each), R = 0.6: tau = 0, .2, .4, .6, .8 in a cycle;
  // linear rise tau / R = 0, 1/3, 2/3, then 1, 1.
  c.schedule = sweeps::KlSchedule::kCyclical;
  c.cycles = 2;
  c.ratio = 0.6;
  const double linear[] = {0, 1.0 / 3, 2.0 / 3, 1, 1, 0, 1.0 / 3, 2.0 / 3, 1, 1};
  for (int e = 0; e < 10; ++e) EXPECT_NEAR(models::kl_factor(c, e, 10), linear[e], 1e-12) << e;
  // Cosine: 1/2 - 1/2 cos(pi t): t = 1/3 -> 0.25, t = 2/3 -> 0.75.
  c.shape = sweeps::KlShape::kCosine;
  EXPECT_NEAR(models::kl_factor(c, 1, 10), 0.25, 1e-12);
  EXPECT_NEAR(models::kl_factor(c, 7, 10), 0.75, 1e-12);
  // Sigmoid: 1 / (1 + exp(-(12 t - 6))): t = 0 -> 1/(1+e^6), t = 1/3 -> 1/(1+e^2).
  c.shape = sweeps::KlShape::kSigmoid;
  EXPECT_NEAR(models::kl_factor(c, 0, 10), 1 / (1 + std::exp(6.0)), 1e-12);
  EXPECT_NEAR(models::kl_factor(c, 6, 10), 1 / (1 + std::exp(2.0)), 1e-12);
  // Monotone, R = 0.5 over 4 epochs: 0, 0.5, then 1.
  c.schedule = sweeps::KlSchedule::kMonotone;
  c.shape = sweeps::KlShape::kLinear;
  c.ratio = 0.5;
  const double mono[] = {0, 0.5, 1, 1};
  for (int e = 0; e < 4; ++e) EXPECT_NEAR(models::kl_factor(c, e, 4), mono[e], 1e-12) << e;
}

TEST(Icvae, LossIsDocument002sObjective) {
  sweeps::ModelConfig c;
  c.kind = sweeps::ModelKind::kIcvae;
  c.hidden = {16};
  c.latent = 3;
  c.activation = sweeps::Activation::kTanh;
  torch::manual_seed(2);
  auto model = std::dynamic_pointer_cast<models::VaeImpl>(models::make_autoencoder(c, 10, 10, 4));
  ASSERT_TRUE(model);
  auto x = torch::rand({5, 10});
  auto labels = torch::tensor({0, 1, 2, 3, 1}, torch::kInt64);
  auto noise = torch::randn({5, 3});
  auto losses = model->loss({x, x, labels, noise}, {0.1, 1.0});
  auto [mu, lv] = model->encode_gaussian(x);
  auto recon = (model->decode(mu + (0.5 * lv).exp() * noise, labels) - x).pow(2).sum(1);
  auto expected = (2.0 * recon + 0.1 * models::kl_to_prior(mu, lv)).mean() +
                  models::pairwise_gaussian_kl(mu, lv);
  EXPECT_NEAR(losses.total.item<double>(), expected.item<double>(), 1e-5);
  // The decoder is conditional: changing c changes the reconstruction of the same code.
  auto other = torch::tensor({1, 2, 3, 0, 0}, torch::kInt64);
  EXPECT_FALSE(torch::allclose(model->reconstruct(x, labels), model->reconstruct(x, other)));
}
