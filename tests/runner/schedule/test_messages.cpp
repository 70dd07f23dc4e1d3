// The messages between ranks: every key of a trial's config, and results with binary bytes.
#include <gtest/gtest.h>

#include "runner/schedule/messages.h"
#include "sweeps/schema.h"
#include "sweeps/spec.h"
#include "tests/testutil.h"

namespace {

// Every trial key, set to a value that is neither its default nor icvae's.
constexpr const char* kEveryKey = R"(name = "every-key"
[data]
dataset = "somewhere/else"
train_limit = 500
test_limit = 100
[model]
kind = "icvae"
hidden = [32, 16]
latent = 5
activation = "sigmoid"
channels = [8]
encoder = "shift"
shift_layers = 3
[train]
epochs = 7
batch_size = 33
lr = 0.0125
lr_schedule = "1:0.0125,4:0.003"
seed = 987654321
device = "cpu"
[loss]
beta = 0.25
lambda = 0.5
beta_schedule = "2:0.5"
[kl]
schedule = "cyclical"
cycles = 3
ratio = 0.75
shape = "cosine"
[corruption]
kind = "blotch"
level = 0.2
threshold_min = 0.1
threshold_max = 0.9
mask_input = true
)";

}  // namespace

TEST(Messages, EveryKeyTravelsFromTomlThroughJsonAndMessagesIntact) {
  const auto spec = sweeps::parse_sweep(kEveryKey, "every.toml");
  const auto trials = sweeps::expand(spec);
  ASSERT_EQ(trials.size(), 1u);
  sweeps::TrialConfig c = sweeps::trial_config_from(trials[0].params);
  c.data.path = "/resolved/on/rank0";
  for (const auto& k : sweeps::all_keys()) {
    if (k.scope != sweeps::Scope::Trial) continue;
    // A key left at a default could be lost on the way without any check noticing.
    const sweeps::Value unset = k.default_value.value_or(sweeps::Value{std::int64_t{0}});
    EXPECT_NE(k.get(c), unset) << k.path << ": give it a non-default value in kEveryKey";
    if (auto d = k.kind_defaults.find(c.model.kind); d != k.kind_defaults.end()) {
      EXPECT_NE(k.get(c), d->second) << k.path << ": give it a value other than icvae's default";
    }
  }
  const std::map<std::string, sweeps::Value> top = {{"seed", sweeps::Value{spec.seed}}};
  EXPECT_EQ(sweeps::params_to_json(sweeps::params_of(c), top), trials[0].config_json);

  runner::Assignment a;
  a.config = c;
  const auto b = runner::unpack<runner::Assignment>(runner::pack(a));
  EXPECT_TRUE(b.config == c) << "every key and the dataset path survive the message";
  EXPECT_EQ(b.config.data.path, c.data.path);
  EXPECT_EQ(sweeps::params_to_json(sweeps::params_of(b.config), top), trials[0].config_json);
}

TEST(Messages, StructDefaultsAreTheKeyTablesDefaults) {
  sweeps::Params defaults;
  sweeps::fill_defaults(defaults);
  EXPECT_EQ(sweeps::params_of(sweeps::TrialConfig{}), defaults);
  const sweeps::ClusterConfig cluster;
  const sweeps::EarlyStopConfig early_stop;
  const sweeps::SearchConfig search;
  const sweeps::SweepSpec spec;
  int checked = 0;
  for (const auto& k : sweeps::all_keys()) {
    if (!k.default_value || k.scope == sweeps::Scope::Trial) continue;
    const auto v = k.scope == sweeps::Scope::Cluster     ? k.get(cluster)
                   : k.scope == sweeps::Scope::EarlyStop ? k.get(early_stop)
                   : k.scope == sweeps::Scope::Search    ? k.get(search)
                                                         : k.get(spec);
    EXPECT_EQ(v, *k.default_value) << k.path;
    ++checked;
  }
  EXPECT_GE(checked, 5) << "seed, repeats, max_trials, ranks_per_trial, collective_timeout_s";
}

TEST(Messages, RoundTripThroughBoostSerialization) {
  auto a = testutil::tiny_trial("t", 42, 1000, 300);
  a.config.model.hidden = {512, 128};
  a.threads = 3;
  a.collective_timeout_s = 7.5;
  a.ranks_per_gpu = 2;
  a.heartbeat_s = 9.5;
  a.early_stop = true;
  a.stopped_early = true;
  a.checkpoint = std::string("ck\0", 3);
  auto b = runner::unpack<runner::Assignment>(runner::pack(a));
  EXPECT_EQ(b.trial_id, a.trial_id);
  EXPECT_EQ(b.seed, a.seed);
  EXPECT_EQ(b.threads, 3);
  EXPECT_EQ(b.collective_timeout_s, 7.5);
  EXPECT_EQ(b.ranks_per_gpu, 2);
  EXPECT_EQ(b.heartbeat_s, 9.5);
  EXPECT_TRUE(b.early_stop);
  EXPECT_TRUE(b.stopped_early);
  EXPECT_EQ(b.checkpoint, a.checkpoint);
  EXPECT_EQ(b.config.model.hidden, a.config.model.hidden);
  EXPECT_EQ(b.config.data.path, a.config.data.path);
  EXPECT_EQ(b.config.train.lr, a.config.train.lr);
  runner::TrialResult r{"x",
                        runner::Outcome::kInterrupted,
                        "boom",
                        std::string("ck\0pt", 5),
                        {{"recon_mse", 0.5}},
                        {{"reconstructions", std::string("\x89PNG\0\1", 6)}}};
  auto r2 = runner::unpack<runner::TrialResult>(runner::pack(r));
  EXPECT_EQ(r2.outcome, runner::Outcome::kInterrupted);
  EXPECT_EQ(r2.checkpoint, r.checkpoint);
  EXPECT_EQ(r2.error, "boom");
  EXPECT_EQ(r2.final_metrics, r.final_metrics);
  EXPECT_EQ(r2.artifacts, r.artifacts) << "binary PNG bytes survive the archive";
}
