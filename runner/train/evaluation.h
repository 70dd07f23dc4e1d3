#pragma once
// Evaluation of a trained model on the trial's test set: the per-epoch test error and, at the end,
// every final metric and picture. Runs on the group root only, without gradients.
#include <torch/torch.h>

#include <cstdint>

#include "models/autoencoder.h"
#include "runner/train/trial_data.h"
#include "util/metrics.h"

namespace runner {

struct TestErrors {
  torch::Tensor errors;  // per sample: mean squared error over pixels of the clean image
  torch::Tensor codes;   // the deterministic codes of the input
  torch::Tensor kl;      // per sample: KL of the posterior to the prior (VAEs; else undefined)
};

// Reconstruction errors of the clean images `clean` from `input`, and the codes of `input`
// (unless `with_codes` is false: the per-epoch test error needs none), in evaluation mode.
TestErrors evaluate(models::AutoencoderImpl& model, const torch::Tensor& input,
                    const SplitTensors& clean, bool with_codes = true);

// The ELBO per sample of a VAE's evaluation (`pixels` wide images), as its final metric "elbo"
// defines it: minus the squared error summed over pixels and the KL to the prior.
double test_elbo(const TestErrors& evaluated, std::int64_t pixels);

// L-BFGS stops once the loss changes by less than this between iterations. LibTorch's default
// (1e-9) ran the probe its whole 100 iterations; 1e-5 stops it 1.6-2x sooner with the accuracy
// within 0.002 of it (bench/trial_cost.sh's sweep and 784-256-64, 16 and 4 trials), far inside
// the 0.005 asked of it (tests/runner/train/test_training.cpp checks 0.005).
constexpr double kProbeTolerance = 1e-5;

// Accuracy of a softmax classifier trained on the train codes and scored on the test codes
// (document 001's "classification accuracy"). Codes are standardised with train statistics.
double probe_accuracy(torch::Tensor z_train, const torch::Tensor& y_train, torch::Tensor z_test,
                      const torch::Tensor& y_test, std::int64_t classes,
                      double tolerance = kProbeTolerance);

// The adversary below, trained: an MLP (one hidden layer of 64) on the codes, 30 epochs of Adam.
torch::nn::Sequential train_adversary(const torch::Tensor& z_train, const torch::Tensor& y_train,
                                      std::int64_t classes, std::int64_t seed);

// How well an MLP predicts the label from the code (document 002's adversary): trained on the
// train codes, scored on the test codes. The lower, the less the code tells about the label.
double adversary_accuracy(const torch::Tensor& z_train, const torch::Tensor& y_train,
                          const torch::Tensor& z_test, const torch::Tensor& y_test,
                          std::int64_t classes, std::int64_t seed);

struct FinalEvaluation {
  util::Metrics metrics;
  util::Artifacts artifacts;
  // Where its time went: seconds_final (the test error, codes and the model's own metrics),
  // seconds_probe, seconds_adversary, seconds_pictures.
  util::Metrics seconds;
};

// The final metrics of a trained trial (README, "Results database") and its pictures. Seeds
// LibTorch's generator itself (seed + 1 for the adversary, seed + 2 for the corrupted test set),
// so every trial of one seed is judged on the same corruption.
FinalEvaluation evaluate_trial(models::AutoencoderImpl& model, const TrialData& d,
                               const sweeps::TrialConfig& c, std::int64_t seed);

}  // namespace runner
