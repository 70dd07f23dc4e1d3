#include "runner/train/evaluation.h"

#include <random>

#include "models/corruptions.h"
#include "models/schedules.h"
#include "runner/train/flat_adam.h"
#include "runner/train/pictures.h"
#include "util/shuffle.h"
#include "util/timer.h"

namespace runner {
namespace {

constexpr std::int64_t kEvalChunk = 2048;       // test samples per forward pass in evaluation
constexpr std::int64_t kProbeIterations = 100;  // L-BFGS iterations of the linear probe
constexpr double kProbeWeightDecay = 1e-4;      // keeps the probe finite on separable codes
constexpr std::int64_t kAdversaryHidden = 64, kAdversaryEpochs = 30, kAdversaryBatch = 128;

// The codes of `input`, in evaluation mode (no reconstruction).
torch::Tensor codes_of(models::AutoencoderImpl& model, const torch::Tensor& input) {
  torch::NoGradGuard no_grad;
  model.eval();
  std::vector<torch::Tensor> codes;
  for (std::int64_t i = 0; i < input.size(0); i += kEvalChunk)
    codes.push_back(model.encode(input.narrow(0, i, std::min(kEvalChunk, input.size(0) - i))));
  model.train();
  return torch::cat(codes);
}

// recon_mse and its value per class.
void add_reconstruction_metrics(const torch::Tensor& test_err, const TrialData& d,
                                util::Metrics& out) {
  out.emplace_back("recon_mse", test_err.mean().item<double>());
  for (std::int64_t k = 0; k < d.classes; ++k) {
    auto mask = d.test.y.eq(k);
    if (mask.any().item<bool>())
      out.emplace_back("recon_mse_class_" + std::to_string(k),
                       test_err.masked_select(mask).mean().item<double>());
  }
}

// recon_mse_corrupted and invariance_gap on the test set corrupted once, seeded; fills the
// pictures' corrupted inputs.
void add_corruption_metrics(models::AutoencoderImpl& model, const TrialData& d,
                            const sweeps::CorruptionConfig& c, std::int64_t seed,
                            const torch::Tensor& test_codes, PictureInputs& pictures,
                            util::Metrics& out) {
  torch::manual_seed(static_cast<std::uint64_t>(seed) + 2);
  auto hit = models::corrupt(c, d.test.x, d.rows, d.cols);
  auto corrupted = models::network_input(c, hit);
  pictures.corrupted_input = corrupted;
  pictures.corrupted = hit.image;
  pictures.mask = hit.mask;
  auto [err, codes, kl] = evaluate(model, corrupted, d.test);
  out.emplace_back("recon_mse_corrupted", err.mean().item<double>());
  // Mean squared distance between the codes of clean and corrupted images, relative to the
  // codes' mean squared norm: 0 for a perfectly invariant code.
  out.emplace_back("invariance_gap", ((codes - test_codes).pow(2).sum(1).mean() /
                                      test_codes.pow(2).sum(1).mean().clamp_min(1e-12))
                                         .item<double>());
}

}  // namespace

TestErrors evaluate(models::AutoencoderImpl& model, const torch::Tensor& input,
                    const SplitTensors& clean, bool with_codes) {
  torch::NoGradGuard no_grad;
  model.eval();
  std::vector<torch::Tensor> errors, codes, kl;
  for (std::int64_t i = 0; i < input.size(0); i += kEvalChunk) {
    const std::int64_t n = std::min(kEvalChunk, input.size(0) - i);
    auto in = input.narrow(0, i, n);
    auto [recon, kl_part] = model.reconstruct_with_kl(in, clean.y.narrow(0, i, n));
    errors.push_back((recon - clean.x.narrow(0, i, n)).pow(2).mean(1));
    if (kl_part.defined()) kl.push_back(kl_part);
    if (with_codes) codes.push_back(model.encode(in));
  }
  model.train();
  return {torch::cat(errors), with_codes ? torch::cat(codes) : torch::Tensor(),
          kl.empty() ? torch::Tensor() : torch::cat(kl)};
}

double test_elbo(const TestErrors& t, std::int64_t pixels) {
  const auto sum = t.errors.to(torch::kFloat64).sum() * static_cast<double>(pixels) +
                   t.kl.to(torch::kFloat64).sum();
  return -sum.item<double>() / static_cast<double>(t.errors.size(0));
}

double probe_accuracy(torch::Tensor z_train, const torch::Tensor& y_train, torch::Tensor z_test,
                      const torch::Tensor& y_test, std::int64_t classes, double tolerance) {
  torch::NoGradGuard no_grad;
  auto mean = z_train.mean(0, true);
  auto std = z_train.std(0, true, true).clamp_min(1e-6);
  z_train = (z_train - mean) / std;
  z_test = (z_test - mean) / std;
  torch::nn::Linear probe(z_train.size(1), classes);
  probe->to(z_train.device());
  torch::Tensor &w = probe->weight, &b = probe->bias;
  // Classes by samples: a softmax over 10 classes a row took LibTorch 4x as long as over 8,000
  // samples a column, and it was half the probe's time.
  const auto z_t = z_train.t().contiguous();
  const auto minus_one_hot =
      (-torch::one_hot(y_train, classes).to(z_train.dtype()) / static_cast<double>(z_train.size(0)))
          .t()
          .contiguous();
  torch::optim::LBFGS opt(probe->parameters(), torch::optim::LBFGSOptions(1)
                                                   .max_iter(kProbeIterations)
                                                   .line_search_fn("strong_wolfe")
                                                   .tolerance_change(tolerance));
  // The loss's gradient by hand: the softmax's is (p - onehot) / n, a few kernels instead of
  // autograd's graph, which dominated the probe's time.
  opt.step([&] {
    const auto log_p = torch::log_softmax(torch::addmm(b.unsqueeze(1), w, z_t), 0);
    const auto residual =
        log_p.exp().div_(static_cast<double>(z_train.size(0))).add_(minus_one_hot);
    w.mutable_grad() = torch::addmm(w, residual, z_train, 2 * kProbeWeightDecay, 1.0);
    b.mutable_grad() = residual.sum(1);
    return minus_one_hot.view(-1).dot(log_p.view(-1)) + kProbeWeightDecay * w.pow(2).sum();
  });
  return probe->forward(z_test).argmax(1).eq(y_test).to(torch::kFloat64).mean().item<double>();
}

torch::nn::Sequential train_adversary(const torch::Tensor& z_train, const torch::Tensor& y_train,
                                      std::int64_t classes, std::int64_t seed) {
  torch::manual_seed(static_cast<std::uint64_t>(seed) + 1);
  torch::nn::Sequential mlp(torch::nn::Linear(z_train.size(1), kAdversaryHidden), torch::nn::ReLU(),
                            torch::nn::Linear(kAdversaryHidden, classes));
  mlp->to(z_train.device());
  const auto& l1 = *mlp[0]->as<torch::nn::Linear>();
  const auto& l2 = *mlp[2]->as<torch::nn::Linear>();
  // Its ~2,000 steps are small enough that each kernel's launch outweighs its work: autograd's
  // graph and torch's Adam, parameter by parameter, were most of the time. So the gradients are
  // written out with the kernels autograd runs, and Adam (its arithmetic) works on one flat
  // buffer: the same MLP, bit for bit, in under half the time.
  FlatParameters flat({l1.weight, l1.bias, l2.weight, l2.bias}, 0);
  FlatAdam opt(flat, 1e-3);
  torch::NoGradGuard no_grad;
  const auto minus_one_hot = -torch::one_hot(y_train, classes).to(z_train.scalar_type());
  std::mt19937_64 order(static_cast<std::uint64_t>(seed));
  const std::int64_t n = z_train.size(0);
  for (std::int64_t epoch = 0; epoch < kAdversaryEpochs; ++epoch) {
    auto perm = torch::tensor(util::permutation(n, order), torch::kInt64).to(z_train.device());
    for (std::int64_t i = 0; i < n; i += kAdversaryBatch) {
      const std::int64_t b = std::min(kAdversaryBatch, n - i);
      auto idx = perm.narrow(0, i, b);
      auto x = z_train.index_select(0, idx);
      auto h = torch::relu(torch::addmm(l1.bias, x, l1.weight.t()));
      auto log_p = torch::log_softmax(torch::addmm(l2.bias, h, l2.weight.t()), 1);
      // Cross-entropy's gradient in the logits; the loss itself is never needed.
      auto g = torch::_log_softmax_backward_data(
          minus_one_hot.index_select(0, idx).div_(static_cast<double>(b)), log_p, 1,
          log_p.scalar_type());
      auto gh = torch::threshold_backward(g.mm(l2.weight), h, 0);
      // Weight gradients as autograd forms them for a transposed operand, bit for bit.
      torch::mm_out(l2.weight.mutable_grad(), g.t(), h);
      torch::sum_out(l2.bias.mutable_grad(), g, 0);
      torch::mm_out(l1.weight.mutable_grad(), gh.t(), x);
      torch::sum_out(l1.bias.mutable_grad(), gh, 0);
      opt.step();
    }
  }
  return mlp;
}

double adversary_accuracy(const torch::Tensor& z_train, const torch::Tensor& y_train,
                          const torch::Tensor& z_test, const torch::Tensor& y_test,
                          std::int64_t classes, std::int64_t seed) {
  auto mlp = train_adversary(z_train, y_train, classes, seed);
  torch::NoGradGuard no_grad;
  return mlp->forward(z_test).argmax(1).eq(y_test).to(torch::kFloat64).mean().item<double>();
}

FinalEvaluation evaluate_trial(models::AutoencoderImpl& model, const TrialData& d,
                               const sweeps::TrialConfig& c, std::int64_t seed) {
  const auto t0 = std::chrono::steady_clock::now();
  double probe_s = 0, adversary_s = 0, pictures_s = 0;
  FinalEvaluation out;
  auto [test_err, test_codes, test_kl] = evaluate(model, d.test_input, d.test);
  const torch::Tensor train_codes = codes_of(model, d.train_input);
  add_reconstruction_metrics(test_err, d, out.metrics);
  {
    util::AddSeconds timed(probe_s);
    out.metrics.emplace_back(
        "probe_accuracy", probe_accuracy(train_codes, d.train.y, test_codes, d.test.y, d.classes));
  }
  if (model.noise_dim() > 0) {
    util::AddSeconds timed(adversary_s);
    out.metrics.emplace_back(
        "adversary_accuracy",
        adversary_accuracy(train_codes, d.train.y, test_codes, d.test.y, d.classes, seed));
  }
  const models::LossWeights final_weights = models::epoch_weights(c, c.train.epochs);
  model.eval();
  model.add_metrics(d.test_input, d.test.y, final_weights, out.metrics);
  PictureInputs pictures{d.test.x, d.test.y, d.test_input, {},     {},
                         {},       test_err, d.rows,       d.cols, d.classes};
  if (c.corruption.kind != sweeps::CorruptionKind::kNone)
    add_corruption_metrics(model, d, c.corruption, seed, test_codes, pictures, out.metrics);
  {
    util::AddSeconds timed(pictures_s);
    out.artifacts = draw_pictures(model, c.model.kind, pictures);
  }
  out.seconds = {{"seconds_final", util::seconds_since(t0) - probe_s - adversary_s - pictures_s},
                 {"seconds_probe", probe_s},
                 {"seconds_adversary", adversary_s},
                 {"seconds_pictures", pictures_s}};
  return out;
}

}  // namespace runner
