#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <limits>
#include <set>

#include "sweeps/piecewise.h"
#include "sweeps/spec.h"
#include "util/files.h"

using sweeps::InputError;
using sweeps::parse_sweep;

namespace {

const char* kBase = R"(name = "t"
[model]
latent = 16
)";

// Parses `text` expecting an InputError; returns it for the caller to inspect.
InputError error_of(const std::string& text, const std::vector<std::string>& sets = {}) {
  try {
    parse_sweep(text, "s.toml", sets);
  } catch (const InputError& e) {
    return e;
  }
  ADD_FAILURE() << "no error for:\n" << text;
  return InputError({"", 0}, "", "");
}

}  // namespace

TEST(Expand, CountsAreCasesTimesGridTimesSamplesTimesRepeats) {
  auto spec = parse_sweep(R"(name = "t"
repeats = 2
[sweep.grid]
"model.latent" = [8, 16, 64]
"train.lr" = [1e-3, 3e-4]
[[sweep.cases]]
"model.hidden" = [128, 64]
[[sweep.cases]]
"model.hidden" = [256]
[sweep.random]
samples = 5
"train.batch_size" = { int_uniform = [32, 256] }
)",
                          "s.toml");
  EXPECT_EQ(sweeps::count_trials(spec), 2 * 3 * 2 * 5 * 2);
  auto trials = sweeps::expand(spec);
  ASSERT_EQ(trials.size(), 120u);
  std::set<std::string> ids;
  for (const auto& t : trials) ids.insert(t.id);
  EXPECT_EQ(ids.size(), trials.size()) << "trial ids must be unique";
}

TEST(Expand, NoSweepTablesGivesOneTrialPerRepeat) {
  auto trials = sweeps::expand(parse_sweep("name = \"t\"\nrepeats = 3\n", "s.toml"));
  ASSERT_EQ(trials.size(), 3u);
  EXPECT_EQ(trials[0].config_hash, trials[2].config_hash);
  EXPECT_NE(trials[0].seed, trials[1].seed);
  EXPECT_NE(trials[0].id, trials[1].id);
}

TEST(Expand, IdsAreStableAndIndependentOfOtherTrials) {
  const std::string a = std::string(kBase) + "[sweep.grid]\n\"model.latent\" = [8, 16]\n";
  const std::string b = std::string(kBase) + "[sweep.grid]\n\"model.latent\" = [4, 8, 16, 32]\n";
  auto ta = sweeps::expand(parse_sweep(a, "a.toml"));
  auto ta2 = sweeps::expand(parse_sweep(a, "elsewhere.toml"));
  auto tb = sweeps::expand(parse_sweep(b, "b.toml"));
  ASSERT_EQ(ta.size(), 2u);
  EXPECT_EQ(ta[0].id, ta2[0].id);
  EXPECT_EQ(ta[1].id, ta2[1].id);
  // Growing a sweep keeps the ids (and so the finished results) of the trials it had.
  EXPECT_EQ(ta[0].id, tb[1].id);
  EXPECT_EQ(ta[1].id, tb[2].id);
  // The same config in another sweep is another trial.
  auto other = sweeps::expand(parse_sweep("name = \"u\"\n" + a.substr(a.find('\n') + 1), "a.toml"));
  EXPECT_NE(ta[0].id, other[0].id);
  EXPECT_EQ(ta[0].config_hash, other[0].config_hash);
}

TEST(Expand, ConfigJsonIsCanonicalAndComplete) {
  auto t = sweeps::expand(parse_sweep(kBase, "s.toml"))[0];
  EXPECT_EQ(
      t.config_json,
      R"({"corruption":{"kind":"none","level":0,"mask_input":false,"threshold_max":0.8,"threshold_min":0.3},)"
      R"("data":{"dataset":"mnist"},"kl":{"cycles":4,"ratio":0.5,"schedule":"constant","shape":"linear"},)"
      R"("loss":{"beta":1,"lambda":0},"model":{"activation":"relu","channels":[16,32],"encoder":"mlp","hidden":[256],)"
      R"("kind":"dense","latent":16,"shift_layers":4},)"
      R"("seed":0,"train":{"batch_size":128,"device":"auto","epochs":5,"lr":0.001}})");
}

// A module file counts by its contents: renamed or moved, the same trial; edited, another. The
// stored config keeps the path it ran with, and the hash.
TEST(Expand, AModuleFileIsItsContentsNotItsName) {
  const std::string dir =
      std::filesystem::temp_directory_path() / ("runner-spec-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir + "/moved");
  util::write_file_atomically(dir + "/a.pt", "weights one");
  util::write_file_atomically(dir + "/moved/b.pt", "weights one");
  util::write_file_atomically(dir + "/c.pt", "weights two");
  auto trial = [&](const std::string& path) {
    return sweeps::expand(
        parse_sweep("name = \"t\"\n[model]\nkind = \"torchscript\"\npath = \"" + path + "\"\n",
                    dir + "/s.toml"))[0];
  };
  const auto a = trial("a.pt"), b = trial("moved/b.pt"), c = trial("c.pt");
  std::filesystem::remove_all(dir);
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.seed, b.seed);
  EXPECT_NE(a.id, c.id);
  EXPECT_NE(a.config_json.find(R"("path":"a.pt")"), std::string::npos) << a.config_json;
  EXPECT_NE(a.config_json.find(R"("model_file_hash":")"), std::string::npos) << a.config_json;
  // An empty path beside another kind is no path at all.
  const auto plain = sweeps::expand(parse_sweep(kBase, "s.toml"))[0];
  const auto empty = sweeps::expand(parse_sweep(std::string(kBase) + "path = \"\"\n", "s.toml"))[0];
  EXPECT_EQ(plain.id, empty.id);
}

TEST(Expand, DefaultsFollowEachTrialsModelKind) {
  auto trials = sweeps::expand(parse_sweep(R"(name = "t"
[model]
latent = 8
[sweep.grid]
"model.kind" = ["dense", "icvae"]
)",
                                           "s.toml"));
  ASSERT_EQ(trials.size(), 2u);
  const auto& dense = trials[0].params;
  const auto& icvae = trials[1].params;
  EXPECT_EQ(std::get<sweeps::IntList>(dense.at("model.hidden")), (sweeps::IntList{256}));
  // Document 002's defaults: encoder 784-512-512 tanh, beta 0.1, lambda 1, Adam 5e-4 ...
  EXPECT_EQ(std::get<sweeps::IntList>(icvae.at("model.hidden")), (sweeps::IntList{512, 512}));
  EXPECT_EQ(std::get<std::string>(icvae.at("model.activation")), "tanh");
  EXPECT_EQ(std::get<double>(icvae.at("loss.beta")), 0.1);
  EXPECT_EQ(std::get<double>(icvae.at("loss.lambda")), 1.0);
  EXPECT_EQ(std::get<double>(icvae.at("train.lr")), 5e-4);
  // ... but what the file sets wins.
  EXPECT_EQ(std::get<std::int64_t>(icvae.at("model.latent")), 8);
}

TEST(Validation, KlRatioIsAShareOfACycle) {
  auto e = error_of("name = \"t\"\n[kl]\nratio = 1.5\n");
  EXPECT_EQ(e.key(), "kl.ratio");
  EXPECT_NE(std::string(e.what()).find("must be <= 1"), std::string::npos) << e.what();
  EXPECT_EQ(error_of("name = \"t\"\n[kl]\nschedule = \"cyclic\"\n").key(), "kl.schedule");
  EXPECT_EQ(error_of("name = \"t\"\n[loss]\nlambda = -1.0\n").key(), "loss.lambda");
}

TEST(Expand, RandomDrawsAreSeededAndInRange) {
  const std::string text = R"(name = "t"
[sweep.random]
samples = 50
"train.lr" = { log_uniform = [1e-4, 1e-2] }
"model.latent" = { int_uniform = [2, 5] }
"model.activation" = { choice = ["relu", "tanh"] }
)";
  auto a = sweeps::expand(parse_sweep(text, "s.toml"));
  auto b = sweeps::expand(parse_sweep(text, "s.toml"));
  ASSERT_EQ(a.size(), 50u);
  std::set<std::int64_t> latents;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].id, b[i].id);
    double lr = std::get<double>(a[i].params.at("train.lr"));
    EXPECT_GE(lr, 1e-4);
    EXPECT_LE(lr, 1e-2);
    latents.insert(std::get<std::int64_t>(a[i].params.at("model.latent")));
  }
  EXPECT_EQ(latents, (std::set<std::int64_t>{2, 3, 4, 5}));
  auto c = sweeps::expand(parse_sweep("seed = 1\n" + text, "s.toml"));
  EXPECT_NE(a[0].params.at("train.lr"), c[0].params.at("train.lr"));
}

TEST(Expand, VaryingKeysAreTheSweptOnes) {
  auto trials = sweeps::expand(
      parse_sweep(std::string(kBase) + "[sweep.grid]\nmodel.latent = [8, 16]\n", "s.toml"));
  EXPECT_EQ(sweeps::varying_keys(trials), std::vector<std::string>{"model.latent"});
}

TEST(Overrides, SetReplacesValuesAndPinsSweptKeys) {
  const std::string text =
      std::string(kBase) +
      "[sweep.grid]\n\"model.latent\" = [8, 16]\n\"train.lr\" = [1e-3, 1e-2]\n";
  auto spec = parse_sweep(
      text, "s.toml",
      {"model.latent=32", "data.dataset=fashion-mnist", "model.hidden=[64, 32]", "train.epochs=2"});
  auto trials = sweeps::expand(spec);
  ASSERT_EQ(trials.size(), 2u);
  EXPECT_EQ(std::get<std::int64_t>(trials[0].params.at("model.latent")), 32);
  EXPECT_EQ(std::get<std::string>(trials[0].params.at("data.dataset")), "fashion-mnist");
  EXPECT_EQ(std::get<sweeps::IntList>(trials[0].params.at("model.hidden")),
            (sweeps::IntList{64, 32}));
  EXPECT_EQ(std::get<std::int64_t>(trials[0].params.at("train.epochs")), 2);
}

TEST(Validation, SyntaxErrorNamesFileAndLine) {
  auto e = error_of("name = \"t\"\n[model]\nlatent = = 3\n");
  EXPECT_EQ(e.where().file, "s.toml");
  EXPECT_EQ(e.where().line, 3);
  EXPECT_NE(std::string(e.what()).find("s.toml:3"), std::string::npos) << e.what();
}

TEST(Validation, UnknownKeySuggestsTheClosest) {
  auto e = error_of("name = \"t\"\n[model]\nlatnet = 3\n");
  EXPECT_EQ(e.where().line, 3);
  EXPECT_EQ(e.key(), "model.latnet");
  EXPECT_NE(std::string(e.what()).find("did you mean 'model.latent'"), std::string::npos)
      << e.what();
  EXPECT_EQ(error_of("name = \"t\"\nrepeat = 2\n").key(), "repeat");
  EXPECT_EQ(error_of("name = \"t\"\n[trian]\nepochs = 2\n").key(), "trian");
}

TEST(Validation, WrongTypes) {
  auto e = error_of("name = \"t\"\n[model]\nlatent = \"big\"\n");
  EXPECT_EQ(e.key(), "model.latent");
  EXPECT_EQ(e.where().line, 3);
  EXPECT_NE(std::string(e.what()).find("expected an integer, got a string"), std::string::npos)
      << e.what();
  EXPECT_EQ(error_of("name = \"t\"\n[model]\nhidden = [1.5]\n").key(), "model.hidden");
  EXPECT_EQ(error_of("name = 3\n").key(), "name");
}

TEST(Validation, OutOfRangeValues) {
  for (const auto& [text, key] : std::vector<std::pair<std::string, std::string>>{
           {"[model]\nlatent = 0\n", "model.latent"},
           {"[model]\nhidden = [128, -1]\n", "model.hidden"},
           {"[train]\nepochs = 0\n", "train.epochs"},
           {"[train]\nbatch_size = -5\n", "train.batch_size"},
           {"[train]\nlr = 0.0\n", "train.lr"},
           {"[train]\nlr = nan\n", "train.lr"},
           {"[data]\ntrain_limit = 0\n", "data.train_limit"},
           {"[model]\nkind = \"transformer\"\n", "model.kind"},
           {"repeats = 0\n", "repeats"},
       }) {
    auto e = error_of("name = \"t\"\n" + text);
    EXPECT_EQ(e.key(), key) << e.what();
    EXPECT_GE(e.where().line, 2) << e.what();
  }
}

TEST(Validation, GridErrors) {
  auto e = error_of("name = \"t\"\n[sweep.grid]\n\"model.latent\" = []\n");
  EXPECT_NE(std::string(e.what()).find("empty axis"), std::string::npos) << e.what();
  EXPECT_EQ(e.where().line, 3);
  e = error_of("name = \"t\"\n[sweep.grid]\n\"model.latnt\" = [1, 2]\n");
  EXPECT_NE(std::string(e.what()).find("unknown sweep path 'model.latnt'"), std::string::npos)
      << e.what();
  EXPECT_NE(std::string(e.what()).find("model.latent"), std::string::npos) << e.what();
  e = error_of("name = \"t\"\n[sweep.grid]\n\"model.latent\" = [8,\n 0]\n");
  EXPECT_EQ(e.where().line, 4) << "the bad element's own line";
  e = error_of("name = \"t\"\n[sweep.grid]\n\"seed\" = [1, 2]\n");
  EXPECT_NE(std::string(e.what()).find("unknown sweep path"), std::string::npos) << e.what();
  e = error_of(
      "name = \"t\"\n[sweep.grid]\n\"model.latent\" = [1, 2]\n[sweep.random]\nsamples = 2\n"
      "\"model.latent\" = { int_uniform = [1, 4] }\n");
  EXPECT_NE(std::string(e.what()).find("swept twice"), std::string::npos) << e.what();
  e = error_of(
      "name = \"t\"\n[sweep.random]\nsamples = 2\n\"train.lr\" = { log_uniform = [0, 1] }\n");
  EXPECT_EQ(e.key(), "sweep.random.train.lr");
  e = error_of("name = \"t\"\n[sweep.random]\n\"train.lr\" = { uniform = [0.1, 1] }\n");
  EXPECT_EQ(e.key(), "sweep.random.samples");
  e = error_of("name = \"t\"\n[sweep.gird]\n");
  EXPECT_NE(std::string(e.what()).find("did you mean 'sweep.grid'"), std::string::npos) << e.what();
}

TEST(Validation, UnsafeOrMissingName) {
  auto e = error_of("name = \"../etc\"\n");
  EXPECT_EQ(e.key(), "name");
  EXPECT_EQ(e.where().line, 1);
  EXPECT_EQ(error_of("name = \"a b\"\n").key(), "name");
  e = error_of("seed = 1\n");
  EXPECT_EQ(e.key(), "name");
  EXPECT_NE(std::string(e.what()).find("missing"), std::string::npos);
}

TEST(Validation, TooManyTrials) {
  auto e = error_of(
      "name = \"t\"\nmax_trials = 5\n[sweep.grid]\n\"model.latent\" = [1,2,3]\n\"train.lr\" = "
      "[0.1, 0.2]\n");
  EXPECT_EQ(e.key(), "max_trials");
  EXPECT_EQ(e.where().line, 2);
  EXPECT_NE(std::string(e.what()).find("expands to 6 trials"), std::string::npos) << e.what();
  // Overflowing products are caught too, not wrapped around.
  std::string huge =
      "name = \"t\"\n[sweep.random]\nsamples = 9000000000000000000\n\"train.lr\" = { uniform = "
      "[0.1, 1] }\n"
      "[sweep.grid]\n\"model.latent\" = [1,2,3,4,5,6,7,8,9,10]\n";
  EXPECT_EQ(error_of(huge).key(), "max_trials");
}

TEST(Validation, BadOverridesNameTheFlag) {
  auto e = error_of(kBase, {"model.latnet=3"});
  EXPECT_EQ(e.where().file, "--set model.latnet=3");
  EXPECT_EQ(e.key(), "model.latnet");
  e = error_of(kBase, {"train.epochs=-1"});
  EXPECT_EQ(e.key(), "train.epochs");
  EXPECT_EQ(e.where().file, "--set train.epochs=-1");
  e = error_of(kBase, {"novalue"});
  EXPECT_NE(std::string(e.what()).find("key=value"), std::string::npos);
}

TEST(Validation, CorruptionSettingsThatContradictEachOther) {
  auto e = error_of(
      "name = \"t\"\n[corruption]\nkind = \"blotch\"\nthreshold_min = 0.9\nthreshold_max = 0.5\n");
  EXPECT_EQ(e.key(), "corruption.threshold_min");
  EXPECT_EQ(e.where().line, 4);
  e = error_of("name = \"t\"\n[corruption]\nkind = \"gaussian\"\nlevel = 0.1\nmask_input = true\n");
  EXPECT_EQ(e.key(), "corruption.mask_input");
  EXPECT_EQ(e.where().line, 5);
  EXPECT_EQ(error_of("name = \"t\"\n[corruption]\nkind = \"masking\"\nlevel = 1.5\n").key(),
            "corruption.level");
  EXPECT_EQ(error_of("name = \"t\"\n[corruption]\nkind = \"gaussian\"\n").key(),
            "corruption.level");
  // A swept value that breaks the rule is caught too, at the axis's line.
  e = error_of(
      "name = \"t\"\n[corruption]\nkind = \"masking\"\n[sweep.grid]\n\"corruption.level\" = [0.2, "
      "2.0]\n");
  EXPECT_EQ(e.key(), "corruption.level");
  EXPECT_EQ(e.where().line, 5);
}

TEST(Validation, ShiftEncoderOnlyWhereThereIsAPlainEncoder) {
  auto e = error_of("name = \"t\"\n[model]\nkind = \"contractive\"\nencoder = \"shift\"\n");
  EXPECT_EQ(e.key(), "model.encoder");
  EXPECT_EQ(e.where().line, 4);
  EXPECT_NO_THROW(
      parse_sweep("name = \"t\"\n[model]\nkind = \"icvae\"\nencoder = \"shift\"\n", "s.toml"));
}

TEST(Expand, IdsOfNeighbouringTrialsShareNoPrefix) {
  auto trials = sweeps::expand(parse_sweep("name = \"t\"\nrepeats = 2\n", "s.toml"));
  // Repeat 0 and 1 differ in one character of what is hashed; their ids must not look alike.
  int same = 0;
  for (int i = 0; i < 12; ++i) same += trials[0].id[i] == trials[1].id[i];
  EXPECT_LT(same, 6) << trials[0].id << " " << trials[1].id;
}

namespace {

const char* kSearch = R"(name = "s"
[model]
kind = "vae"
[sweep.grid]
"model.latent" = [4, 8]
[sweep.search]
trials = 5
startup = 2
objectives = [{ metric = "recon_mse" }, { metric = "adversary_accuracy", mode = "max" }]
constraints = ["kl_prior <= 40", "probe_accuracy>0.5"]
[sweep.search.space]
"train.lr" = { log_uniform = [1e-4, 1e-2] }
"loss.beta" = { uniform = [0.1, 4.0] }
"train.batch_size" = { choice = [64, 128] }
)";

}  // namespace

TEST(Search, ReadsTheTableAndExpandsToItsParts) {
  const auto spec = parse_sweep(kSearch, "s.toml");
  ASSERT_TRUE(spec.searching());
  EXPECT_EQ(spec.search.sampler, sweeps::SamplerKind::kTpe);
  EXPECT_EQ(spec.search.trials, 5);
  EXPECT_EQ(spec.search.startup, 2);
  ASSERT_EQ(spec.objectives.size(), 2u);
  EXPECT_EQ(spec.objectives[1].metric, "adversary_accuracy");
  EXPECT_EQ(spec.objectives[1].mode, sweeps::Goal::kMax);
  ASSERT_EQ(spec.constraints.size(), 2u);
  EXPECT_EQ(spec.constraints[1].metric, "probe_accuracy");
  ASSERT_EQ(spec.space.size(), 3u);
  EXPECT_EQ(spec.space[0].path, "loss.beta");  // sorted by path
  // Two grid points, each a part searched with its own budget.
  EXPECT_EQ(sweeps::count_trials(spec), 10);
  const auto parts = sweeps::expand(spec);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_NE(parts[0].config_hash, parts[1].config_hash);
}

TEST(Search, ConstraintViolationAsATable) {
  struct Row {
    const char* text;
    double value, violation;  // -1: more than 0, by the smallest amount (a strict bound met)
  };
  const Row rows[] = {{"active_bits <= 50", 40, 0},      {"active_bits <= 50", 53, 3},
                      {"active_bits < 50", 50, -1},      {"probe_accuracy >= 0.9", 0.8, 0.1},
                      {"probe_accuracy > 0.9", 0.95, 0}, {"elbo>=-100", -120, 20}};
  for (const auto& r : rows) {
    const auto c = sweeps::parse_constraint(r.text, {"s.toml", 1}, "k");
    if (r.violation < 0)
      EXPECT_EQ(c.violation(r.value), std::numeric_limits<double>::min()) << r.text;
    else
      EXPECT_NEAR(c.violation(r.value), r.violation, 1e-12) << r.text;
  }
}

TEST(Search, BadTablesNameFileLineAndKey) {
  const std::string head = "name = \"s\"\n[sweep.search]\n";
  const std::string space = "[sweep.search.space]\n\"train.lr\" = { uniform = [0.001, 0.01] }\n";
  const std::string objective = "objectives = [{ metric = \"recon_mse\" }]\n";
  struct Row {
    std::string text, key, says;
  };
  const Row rows[] = {
      {head + "trials = 3\n" + objective + "warm_start = [1]\n" + space, "sweep.search.warm_start",
       "expected a string"},
      {head + "trials = 3\nobjectives = []\n" + space, "sweep.search.objectives", "expected"},
      {head + "trials = 3\nobjectives = [{ metric = \"elbo\" }, { metric = \"elbo\" }]\n" + space,
       "sweep.search.objectives", "an objective twice"},
      {"name = \"s\"\nrepeats = 2\n[sweep.search]\ntrials = 3\n" + objective + space, "repeats",
       "must be 1"},
      {head + "trials = 3\n" + objective + space +
           "[sweep.random]\nsamples = 2\n\"train.epochs\" = { int_uniform = [1, 3] }\n",
       "sweep.random", "beside [sweep.search]"},
      {head + "trials = 3\n" + objective + "constraints = [\"elbo <= x\"]\n" + space,
       "sweep.search.constraints", "is not a number"},
      {head + "trials = 3\n" + objective + "warm_start = [\"s\"]\n" + space,
       "sweep.search.warm_start", "is this sweep"},
  };
  for (const auto& r : rows) {
    const auto e = error_of(r.text);
    EXPECT_EQ(e.key(), r.key) << r.text;
    EXPECT_NE(std::string(e.what()).find(r.says), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("s.toml"), std::string::npos) << e.what();
  }
}

TEST(EarlyStop, SeveralSeriesOnlyForAsha) {
  const std::string head = "name = \"s\"\n[sweep.early_stop]\n";
  const std::string two =
      "objectives = [{ metric = \"test_recon_mse\" }, { metric = \"train_loss\" }]\n";
  const auto spec = parse_sweep(head + "kind = \"asha\"\n" + two, "s.toml");
  ASSERT_EQ(spec.early_stop.objectives.size(), 2u);
  EXPECT_EQ(spec.early_stop.objectives[1].metric, "train_loss");
  struct Row {
    std::string text, says;
  };
  const Row rows[] = {
      {head + "kind = \"median\"\n" + two, "need kind = \"asha\""},
      {head + "kind = \"asha\"\nobjectives = [{ metric = \"test_recon_mse\" }]\n", "two or more"},
      {head + "kind = \"asha\"\nobjectives = [{ metric = \"recon_mse\" }, { metric = \"beta\" }]\n",
       "is not a series"},
  };
  for (const auto& r : rows) {
    const auto e = error_of(r.text);
    EXPECT_EQ(e.key(), "sweep.early_stop.objectives") << r.text;
    EXPECT_NE(std::string(e.what()).find(r.says), std::string::npos) << e.what();
  }
}

namespace {

TEST(Pbt, BadTablesNameFileLineAndKey) {
  const std::string head = "name = \"s\"\n[sweep.search]\nsampler = \"pbt\"\n";
  const std::string series = "objectives = [{ metric = \"test_recon_mse\" }]\n";
  const std::string space = "[sweep.search.space]\n\"train.lr\" = { log_uniform = [1e-4, 1e-2] }\n";
  struct Row {
    std::string text, key, says;
  };
  const Row rows[] = {
      {head + series + space, "sweep.search.population", "required"},
      {head + "population = 1\n" + series + space, "sweep.search.population", ">= 2"},
      {head + "population = 4\ntrials = 4\n" + series + space, "sweep.search.trials",
       "give sweep.search.population"},
      {head + "population = 4\nobjectives = [{ metric = \"recon_mse\" }]\n" + space,
       "sweep.search.objectives", "by a series"},
      {head + "population = 4\n" + series +
           "[sweep.search.space]\n\"model.latent\" = { int_uniform = [2, 8] }\n",
       "sweep.search.space.model.latent", "would change its model"},
      {head + "population = 4\n" + series +
           "[sweep.search.space]\n\"train.epochs\" = { int_uniform = [2, 8] }\n",
       "sweep.search.space.train.epochs", "would change its model"},
      {head + "population = 4\nquantile = 0.7\n" + series + space, "sweep.search.quantile",
       "<= 0.5"},
      {"name = \"s\"\n[sweep.search]\ntrials = 3\ninterval = 2\nobjectives = [{ metric = "
       "\"recon_mse\" }]\n" +
           space,
       "sweep.search.interval", "only with sampler = \"pbt\""},
      {head + "population = 4\n" + series + space +
           "[sweep.early_stop]\nkind = \"asha\"\nmetric = \"test_recon_mse\"\n",
       "sweep.early_stop", "not with pbt"},
  };
  for (const auto& r : rows) {
    const auto e = error_of(r.text);
    EXPECT_EQ(e.key(), r.key) << r.text;
    EXPECT_NE(std::string(e.what()).find(r.says), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("s.toml:"), std::string::npos) << e.what();
  }
  const auto ok = parse_sweep(head + "population = 4\n" + series + space, "s.toml", {});
  EXPECT_EQ(ok.search.trials, 4) << "the population is the budget";
}

TEST(Schedules, PiecewiseKeysAsATable) {
  using sweeps::parse_pieces;
  using sweeps::piecewise_at;
  const auto p = parse_pieces("1:0.001,3:0.0005", 0);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(piecewise_at(p, 1, 9), 0.001);
  EXPECT_EQ(piecewise_at(p, 2, 9), 0.001);
  EXPECT_EQ(piecewise_at(p, 3, 9), 0.0005);
  EXPECT_EQ(piecewise_at(parse_pieces("2:0.5", 0), 1, 9), 9) << "before the first piece: the key";
  EXPECT_EQ(sweeps::pieces_text(p), "1:0.001,3:5e-04");
  EXPECT_EQ(parse_pieces(sweeps::pieces_text(p), 0)[1].value, 0.0005) << "reads back";
  for (const char* bad : {"1:", "x:1", "0:1", "2:1,2:3", "3:1,2:1", "1:-1", "1.5:1", "1:1,", ","})
    EXPECT_THROW(parse_pieces(bad, 0), std::invalid_argument) << bad;
  const std::string head = "name = \"s\"\n[train]\nepochs = 4\n";
  auto e = error_of(head + "lr_schedule = \"1:0.001,5:0.002\"\n");
  EXPECT_EQ(e.key(), "train.lr_schedule");
  EXPECT_NE(std::string(e.what()).find("past train.epochs"), std::string::npos) << e.what();
  e = error_of("name = \"s\"\n[loss]\nbeta_schedule = \"1:a\"\n");
  EXPECT_EQ(e.key(), "loss.beta_schedule");
  EXPECT_NE(std::string(e.what()).find("s.toml:3"), std::string::npos) << e.what();
}

}  // namespace
