#pragma once
// Typed configuration of one trial, one struct per concern, and the execution settings of a run.
// Every member that a sweep file can set is one row of the key table (sweeps/schema.cpp): its key,
// type, default, bounds, help and per-kind defaults. The constructors take their defaults from
// there, and parsing, validation, canonical JSON and the messages between ranks all go through the
// same rows, so a key is defined once. Choices are enums from the moment a sweep is loaded.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sweeps/value.h"

namespace sweeps {

enum class ModelKind {
  kDense,
  kSparseL1,
  kSparseBinary,
  kContractive,
  kConv,
  kRandomized,
  kVae,
  kIcvae,
  kTorchscript  // a model brought in from PyTorch (models/torchscript.h)
};
enum class Activation { kRelu, kTanh, kSigmoid, kSin };
enum class EncoderKind { kMlp, kShift };   // kShift: document 000's shift approximator, sin code
enum class Device { kAuto, kCpu, kCuda };  // kAuto: a GPU when the build and the node have one
enum class KlSchedule { kConstant, kMonotone, kCyclical };
enum class KlShape { kLinear, kSigmoid, kCosine };
enum class CorruptionKind { kNone, kGaussian, kMasking, kSaltPepper, kBlotch };

// The names a sweep file uses for each enum, in the enum's order.
template <typename E>
struct EnumNames;
template <>
struct EnumNames<ModelKind> {
  static constexpr std::array<const char*, 9> names = {"dense",       "sparse_l1", "sparse_binary",
                                                       "contractive", "conv",      "randomized",
                                                       "vae",         "icvae",     "torchscript"};
};
template <>
struct EnumNames<Activation> {
  static constexpr std::array<const char*, 4> names = {"relu", "tanh", "sigmoid", "sin"};
};
template <>
struct EnumNames<EncoderKind> {
  static constexpr std::array<const char*, 2> names = {"mlp", "shift"};
};
template <>
struct EnumNames<Device> {
  static constexpr std::array<const char*, 3> names = {"auto", "cpu", "cuda"};
};
template <>
struct EnumNames<KlSchedule> {
  static constexpr std::array<const char*, 3> names = {"constant", "monotone", "cyclical"};
};
template <>
struct EnumNames<KlShape> {
  static constexpr std::array<const char*, 3> names = {"linear", "sigmoid", "cosine"};
};
template <>
struct EnumNames<CorruptionKind> {
  static constexpr std::array<const char*, 5> names = {"none", "gaussian", "masking", "salt_pepper",
                                                       "blotch"};
};

// [sweep.early_stop]: how rank 0 stops trials that are clearly worse (runner/early_stop.h).
enum class EarlyStopKind { kNone, kAsha, kMedian };
template <>
struct EnumNames<EarlyStopKind> {
  static constexpr std::array<const char*, 3> names = {"none", "asha", "median"};
};
enum class Goal { kMin, kMax };  // which way a metric is better
template <>
struct EnumNames<Goal> {
  static constexpr std::array<const char*, 2> names = {"min", "max"};
};

// [sweep.search]: which sampler proposes the trials (search/sampler.h), or population-based
// training (runner/record/pbt.h): a population drawn at random whose per-member keys change as
// it trains.
enum class SamplerKind { kRandom, kTpe, kPbt };
template <>
struct EnumNames<SamplerKind> {
  static constexpr std::array<const char*, 3> names = {"random", "tpe", "pbt"};
};

// The struct a key's member lives in (see the key table).
enum class Section {
  kSweep,
  kData,
  kModel,
  kTrain,
  kLoss,
  kKl,
  kCorruption,
  kCluster,
  kEarlyStop,
  kSearch
};
// Sets every member of the section struct at `object` that has a default to it.
void apply_defaults(Section section, void* object);

template <typename E>
const char* name_of(E e) {
  return EnumNames<E>::names[static_cast<std::size_t>(e)];
}
template <typename E>
std::optional<E> enum_from(const std::string& name) {
  for (std::size_t i = 0; i < EnumNames<E>::names.size(); ++i)
    if (name == EnumNames<E>::names[i]) return static_cast<E>(i);
  return std::nullopt;
}

struct DataConfig {
  static constexpr Section kSection = Section::kData;
  DataConfig() { apply_defaults(kSection, this); }
  std::string dataset;           // as written in the sweep: part of the trial's identity
  std::string path;              // the directory it resolved to on rank 0: not a key, not identity
  std::int64_t train_limit = 0;  // 0: every sample
  std::int64_t test_limit = 0;
};

struct ModelConfig {
  static constexpr Section kSection = Section::kModel;
  ModelConfig() { apply_defaults(kSection, this); }
  ModelKind kind{};
  std::vector<std::int64_t> hidden;
  std::int64_t latent = 0;
  Activation activation{};
  std::vector<std::int64_t> channels;  // conv: filters per stage, each stage pools 2x2
  EncoderKind encoder{};
  std::int64_t shift_layers = 0;  // shift: number of shift layers
  // torchscript: the module's file as the sweep names it (relative to the sweep file). Not part of
  // the trial's identity: the file's contents are (file_hash), so a renamed file is the same trial.
  std::string path;
  std::string file;       // the file it resolved to on rank 0: not a key
  std::string file_hash;  // the hash of its contents when the sweep was loaded: not a key
};

struct TrainConfig {
  static constexpr Section kSection = Section::kTrain;
  TrainConfig() { apply_defaults(kSection, this); }
  std::int64_t epochs = 0;
  std::int64_t batch_size = 0;  // the global batch of a trial
  double lr = 0;
  std::string lr_schedule;  // "epoch:value,..." over train.lr (sweeps/piecewise.h); "" none
  std::int64_t seed = 0;    // the trial's seed, when given; 0: derived from its config
  Device device{};
};

struct LossConfig {
  static constexpr Section kSection = Section::kLoss;
  LossConfig() { apply_defaults(kSection, this); }
  double beta = 0;    // weight of KL(q(z|x) || N(0, I)) in vae and icvae
  double lambda = 0;  // sparse_l1, sparse_binary, contractive: the penalty; icvae: invariance
  std::string beta_schedule;  // "epoch:value,..." over loss.beta (sweeps/piecewise.h); "" none
};

// KL annealing (Fu et al. 2019): the factor multiplying loss.beta at each epoch.
struct KlConfig {
  static constexpr Section kSection = Section::kKl;
  KlConfig() { apply_defaults(kSection, this); }
  KlSchedule schedule{};
  std::int64_t cycles = 0;  // M, for cyclical
  double ratio = 0;         // R: share of each cycle spent rising
  KlShape shape{};
};

// What the encoder sees instead of the clean image (the target stays clean).
struct CorruptionConfig {
  static constexpr Section kSection = Section::kCorruption;
  CorruptionConfig() { apply_defaults(kSection, this); }
  CorruptionKind kind{};
  double level = 0;  // gaussian: noise std; masking, salt_pepper: share of pixels hit
  double threshold_min = 0, threshold_max = 0;  // blotch: share of pixels kept, drawn per image
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
// Every key, and the resolved dataset path and module file.
bool operator==(const TrialConfig& a, const TrialConfig& b);
inline bool operator!=(const TrialConfig& a, const TrialConfig& b) {
  return !(a == b);
}

// Execution settings: how a sweep runs, never what a trial is.
struct ClusterConfig {
  static constexpr Section kSection = Section::kCluster;
  ClusterConfig() { apply_defaults(kSection, this); }
  std::int64_t threads_per_rank = 0;  // 0: the rank's cores, shared among the ranks on a node
  std::int64_t ranks_per_trial = 0;   // a trial trains on this many ranks in data parallel
  double collective_timeout_s = 0;    // a collective stuck this long aborts the job
  bool rank0_trains = true;           // rank 0 trains too, beside its scheduling
  std::int64_t ranks_per_gpu = 0;     // ranks of separate trials that may share one GPU
  std::int64_t fuse = 0;              // up to this many same-shaped trials train as one array
  // On a CPU, an array holds no more members than fit the cache (runner/schedule/arrays.h).
  bool fuse_fits_cache = true;
  double heartbeat_s = 0;             // a group root silent this long: its trial goes elsewhere
  double lease_s = 0;  // a run that has not renewed its claims this long loses them to other runs
};

// A metric to optimise, and which way: [sweep.search]'s objectives (final metrics) and
// [sweep.early_stop]'s (series).
struct Objective {
  std::string metric;
  Goal mode = Goal::kMin;
};

struct EarlyStopConfig {
  static constexpr Section kSection = Section::kEarlyStop;
  EarlyStopConfig() { apply_defaults(kSection, this); }
  EarlyStopKind kind = EarlyStopKind::kNone;
  std::string metric;             // a series name (train_loss, test_recon_mse, beta)
  Goal mode = Goal::kMin;         // which way the metric is better
  std::int64_t grace_epochs = 0;  // no trial stops before this epoch (ASHA's first rung)
  double reduction = 0;           // eta: ASHA keeps the best 1/eta at each rung, rungs eta apart
  std::int64_t min_trials = 0;    // median rule: other trials needed at an epoch to judge there
  // asha with two or more series: a rung keeps the best by non-dominated front (not a key of
  // the table: a list of tables, read on its own); empty: `metric` alone.
  std::vector<Objective> objectives;
};

// [sweep.search]'s settings (its space, objectives and constraints: sweeps/spec.h).
struct SearchConfig {
  static constexpr Section kSection = Section::kSearch;
  SearchConfig() { apply_defaults(kSection, this); }
  SamplerKind sampler = SamplerKind::kTpe;
  std::int64_t trials = 0;   // the budget of each fixed part, over every run of the sweep
  std::int64_t startup = 0;  // finished trials drawn at random before the sampler learns
  // Population-based training (sampler = "pbt"); `trials` is then the population.
  std::int64_t population = 0;
  std::int64_t interval = 0;  // epochs between a member's decisions
  double quantile = 0;        // the bottom share copies the top share
  double perturb = 0;         // explore: each key times (1 - perturb) or (1 + perturb)
  double resample = 0;        // ... or, with this chance, drawn anew from the space
};

// The config of a resolved trial (every trial key, validated); keys it lacks keep their defaults.
TrialConfig trial_config_from(const Params& params);
// Every trial key of `c`, as the sweep would write it; optional keys left unset are omitted.
Params params_of(const TrialConfig& c);

}  // namespace sweeps
