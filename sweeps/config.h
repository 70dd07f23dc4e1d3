#pragma once
// Typed configuration of one trial, one struct per concern. They are filled in one place,
// trial_config_from(), from the validated params of a trial.
#include <cstdint>
#include <string>
#include <vector>

#include "sweeps/value.h"

namespace sweeps {

struct DataConfig {
  std::string dataset = "mnist";  // as written in the sweep: part of the trial's identity
  std::string path;               // the directory it resolved to on rank 0: not part of identity
  std::int64_t train_limit = 0;   // 0: every sample
  std::int64_t test_limit = 0;
};

struct ModelConfig {
  std::string kind = "dense";
  std::vector<std::int64_t> hidden = {256};
  std::int64_t latent = 64;
  std::string activation = "relu";
  std::vector<std::int64_t> channels = {16, 32};  // conv: filters per stage, each stage pools 2x2
  std::string encoder = "mlp";    // mlp | shift (document 000's shift approximator, sin code)
  std::int64_t shift_layers = 4;  // shift: number of shift layers
};

struct TrainConfig {
  std::int64_t epochs = 5;
  std::int64_t batch_size = 128;  // the global batch of a trial
  double lr = 1e-3;
  std::string device = "auto";  // auto: a GPU when the build and the node have one
};

struct LossConfig {
  double beta = 1;    // weight of KL(q(z|x) || N(0, I)) in vae and icvae
  double lambda = 0;  // sparse_l1, sparse_binary, contractive: the penalty; icvae: invariance
};

// KL annealing (Fu et al. 2019): the factor multiplying loss.beta at each epoch.
struct KlConfig {
  std::string schedule = "constant";  // constant | monotone | cyclical
  std::int64_t cycles = 4;            // M, for cyclical
  double ratio = 0.5;                 // R: share of each cycle spent rising
  std::string shape = "linear";       // linear | sigmoid | cosine
};

// What the encoder sees instead of the clean image (the target stays clean).
struct CorruptionConfig {
  std::string kind = "none";  // none | gaussian | masking | salt_pepper | blotch
  double level = 0.0;         // gaussian: noise std; masking, salt_pepper: share of pixels hit
  double threshold_min = 0.3, threshold_max = 0.8;  // blotch: share of pixels kept, drawn per image
  bool mask_input = false;  // also feed the mask, so the network knows which zeros are blotted
};

struct TrialConfig {
  DataConfig data;
  ModelConfig model;
  TrainConfig train;
  LossConfig loss;
  KlConfig kl;
  CorruptionConfig corruption;
};

// Execution settings: how a sweep runs, never what a trial is.
struct ClusterConfig {
  std::int64_t threads_per_rank = 0;  // 0: the rank's cores, shared among the ranks on a node
  std::int64_t ranks_per_trial = 1;   // a trial trains on this many ranks in data parallel
  double collective_timeout_s = 600;  // a collective stuck this long aborts the job
};

TrialConfig trial_config_from(const Params& params);

}  // namespace sweeps
