#include "sweeps/schema.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <type_traits>

#include "sweeps/spec.h"

namespace sweeps {
namespace {

template <typename M>
struct MemberPointer;
template <typename C, typename M>
struct MemberPointer<M C::*> {
  using Class = C;
  using Type = M;
};

template <typename M>
constexpr Type kTypeOf = std::is_same_v<M, bool>           ? Type::Bool
                         : std::is_same_v<M, std::int64_t> ? Type::Int
                         : std::is_same_v<M, double>       ? Type::Float
                         : std::is_same_v<M, IntList>      ? Type::IntList
                                                           : Type::String;  // strings and enums

template <typename M>
Value to_value(const M& m) {
  if constexpr (std::is_enum_v<M>)
    return std::string(name_of(m));
  else
    return Value{m};
}

template <typename M>
M from_value(const Value& v) {
  if constexpr (std::is_enum_v<M>) {
    auto e = enum_from<M>(std::get<std::string>(v));
    if (!e) throw std::logic_error("unknown name " + std::get<std::string>(v));  // validated before
    return *e;
  } else {
    return std::get<M>(v);
  }
}

// The row of the key `path` for `Member`: its section, type and (for enums) choices come from the
// member itself.
template <auto Member>
KeySpec key(std::string path, std::optional<Value> def, std::string help) {
  using Class = typename MemberPointer<decltype(Member)>::Class;
  using M = typename MemberPointer<decltype(Member)>::Type;
  static_assert(std::is_enum_v<M> || std::is_same_v<M, bool> || std::is_same_v<M, std::int64_t> ||
                    std::is_same_v<M, double> || std::is_same_v<M, std::string> ||
                    std::is_same_v<M, IntList>,
                "a key's member is a bool, int64, double, string, IntList or enum");
  KeySpec k;
  k.path = std::move(path);
  k.field.section = Class::kSection;
  k.field.get = [](const void* s) { return to_value(static_cast<const Class*>(s)->*Member); };
  k.field.set = [](void* s, const Value& v) { static_cast<Class*>(s)->*Member = from_value<M>(v); };
  k.type = kTypeOf<M>;
  k.scope = k.field.section == Section::kSweep       ? Scope::Sweep
            : k.field.section == Section::kCluster   ? Scope::Cluster
            : k.field.section == Section::kEarlyStop ? Scope::EarlyStop
            : k.field.section == Section::kSearch    ? Scope::Search
                                                     : Scope::Trial;
  if constexpr (std::is_enum_v<M>)
    for (const char* name : EnumNames<M>::names) k.choices.emplace_back(name);
  k.default_value = std::move(def);
  k.help = std::move(help);
  return k;
}

// An enum's default, as the sweep file names it.
template <typename E>
Value choice(E e) {
  return to_value(e);
}

KeySpec positive(KeySpec k) {
  k.min = 0;
  k.min_exclusive = true;
  return k;
}

KeySpec exclusive_min(KeySpec k, double min) {
  k.min = min;
  k.min_exclusive = true;
  return k;
}

KeySpec at_least(KeySpec k, double min) {
  k.min = min;
  return k;
}

KeySpec at_most(KeySpec k, double max) {
  k.max = max;
  return k;
}

KeySpec by_kind(KeySpec k, std::map<ModelKind, Value> defaults) {
  k.kind_defaults = std::move(defaults);
  return k;
}

KeySpec per_member(KeySpec k) {
  k.per_member = true;
  return k;
}

KeySpec required(KeySpec k) {
  k.required = true;
  return k;
}

std::vector<KeySpec> make_keys() {
  using V = Value;
  using I = std::int64_t;
  using K = ModelKind;
  return {
      required(key<&SweepSpec::name>("name", std::nullopt, "sweep name, [A-Za-z0-9_.-]+")),
      at_least(key<&SweepSpec::seed>("seed", V{I{0}}, "base seed"), 0),
      positive(key<&SweepSpec::repeats>("repeats", V{I{1}}, "independent seeds per config")),
      positive(key<&SweepSpec::max_trials>("max_trials", V{I{10000}}, "refuse larger sweeps")),
      key<&DataConfig::dataset>("data.dataset", V{std::string("mnist")},
                                "mnist, fashion-mnist, or a directory of IDX files"),
      positive(key<&DataConfig::train_limit>("data.train_limit", std::nullopt,
                                             "first N training samples")),
      positive(
          key<&DataConfig::test_limit>("data.test_limit", std::nullopt, "first N test samples")),
      key<&ModelConfig::kind>("model.kind", choice(K::kDense), "autoencoder family"),
      by_kind(at_least(key<&ModelConfig::hidden>("model.hidden", V{IntList{256}},
                                                 "encoder hidden widths"),
                       1),
              {{K::kIcvae, V{IntList{512, 512}}}, {K::kSparseBinary, V{IntList{512, 128}}}}),
      by_kind(positive(key<&ModelConfig::latent>("model.latent", V{I{64}}, "code size")),
              {{K::kIcvae, V{I{16}}}, {K::kVae, V{I{16}}}, {K::kSparseBinary, V{I{4096}}}}),
      by_kind(key<&ModelConfig::activation>("model.activation", choice(Activation::kRelu),
                                            "hidden activation"),
              {{K::kIcvae, choice(Activation::kTanh)}}),
      at_least(key<&ModelConfig::channels>("model.channels", V{IntList{16, 32}},
                                           "conv: filters per pooling stage"),
               1),
      key<&ModelConfig::encoder>("model.encoder", choice(EncoderKind::kMlp),
                                 "mlp, or document 000's shift"),
      positive(
          key<&ModelConfig::shift_layers>("model.shift_layers", V{I{4}}, "shift: shift layers")),
      key<&ModelConfig::path>("model.path", std::nullopt,
                              "torchscript: the module's file, relative to the sweep file"),
      positive(key<&TrainConfig::epochs>("train.epochs", V{I{5}}, "passes over the train set")),
      positive(key<&TrainConfig::batch_size>("train.batch_size", V{I{128}}, "global batch")),
      per_member(by_kind(positive(key<&TrainConfig::lr>("train.lr", V{1e-3}, "Adam learning rate")),
                         {{K::kIcvae, V{5e-4}}})),
      per_member(positive(key<&TrainConfig::seed>(
          "train.seed", std::nullopt,
          "the trial's seed (default: derived from its config and repeat); a replay's"))),
      per_member(key<&TrainConfig::lr_schedule>(
          "train.lr_schedule", std::nullopt,
          "piecewise lr, \"epoch:value,...\" (from each epoch on; train.lr before)")),
      per_member(by_kind(
          at_least(key<&LossConfig::beta>("loss.beta", V{1.0}, "weight of the KL to the prior"), 0),
          {{K::kIcvae, V{0.1}}})),
      per_member(key<&LossConfig::beta_schedule>(
          "loss.beta_schedule", std::nullopt,
          "piecewise beta, \"epoch:value,...\" (from each epoch on; loss.beta before)")),
      per_member(by_kind(
          at_least(key<&LossConfig::lambda>("loss.lambda", V{0.0}, "penalty or invariance weight"),
                   0),
          {{K::kIcvae, V{1.0}},
           {K::kSparseL1, V{1e-3}},
           {K::kSparseBinary, V{1e-4}},
           {K::kContractive, V{1e-3}}})),
      per_member(
          key<&KlConfig::schedule>("kl.schedule", choice(KlSchedule::kConstant), "KL annealing")),
      per_member(positive(
          key<&KlConfig::cycles>("kl.cycles", V{I{4}}, "M, cycles of a cyclical schedule"))),
      per_member(at_most(
          positive(key<&KlConfig::ratio>("kl.ratio", V{0.5}, "R, rising share of a cycle")), 1)),
      per_member(
          key<&KlConfig::shape>("kl.shape", choice(KlShape::kLinear), "how the factor rises")),
      key<&CorruptionConfig::kind>("corruption.kind", choice(CorruptionKind::kNone),
                                   "what the encoder sees"),
      per_member(at_least(key<&CorruptionConfig::level>("corruption.level", V{0.0},
                                                        "noise std or share of pixels hit"),
                          0)),
      per_member(
          at_most(at_least(key<&CorruptionConfig::threshold_min>("corruption.threshold_min", V{0.3},
                                                                 "blotch: least share kept"),
                           0),
                  1)),
      per_member(
          at_most(at_least(key<&CorruptionConfig::threshold_max>("corruption.threshold_max", V{0.8},
                                                                 "blotch: most share kept"),
                           0),
                  1)),
      key<&CorruptionConfig::mask_input>("corruption.mask_input", V{false},
                                         "feed the mask to the network too"),
      key<&TrainConfig::device>("train.device", choice(Device::kAuto), "auto, cpu or cuda"),
      positive(key<&ClusterConfig::threads_per_rank>("cluster.threads_per_rank", std::nullopt,
                                                     "LibTorch intra-op threads per rank")),
      positive(key<&ClusterConfig::ranks_per_trial>("cluster.ranks_per_trial", V{I{1}},
                                                    "ranks that train one trial in data parallel")),
      positive(key<&ClusterConfig::collective_timeout_s>(
          "cluster.collective_timeout_s", V{600.0},
          "seconds before a stuck collective aborts the job")),
      key<&ClusterConfig::rank0_trains>(
          "cluster.rank0_trains", V{true},
          "rank 0 trains beside its scheduling (false: it only schedules and writes)"),
      positive(key<&ClusterConfig::ranks_per_gpu>("cluster.ranks_per_gpu", V{I{1}},
                                                  "ranks (separate trials) that may share a GPU")),
      positive(key<&ClusterConfig::fuse>(
          "cluster.fuse", V{I{1}},
          "trials of one shape a group trains at once, as one batched model (fused arrays)")),
      key<&ClusterConfig::fuse_fits_cache>(
          "cluster.fuse_fits_cache", V{true},
          "on a CPU, fewer per array where their weights would outgrow the cache"),
      key<&EarlyStopConfig::kind>("sweep.early_stop.kind", choice(EarlyStopKind::kNone),
                                  "none, asha or median"),
      key<&EarlyStopConfig::metric>("sweep.early_stop.metric", V{std::string("test_recon_mse")},
                                    "the series it judges by"),
      key<&EarlyStopConfig::mode>("sweep.early_stop.mode", choice(Goal::kMin),
                                  "min or max: which way the metric is better"),
      positive(key<&EarlyStopConfig::grace_epochs>("sweep.early_stop.grace_epochs", V{I{1}},
                                                   "epochs before any stop (the first rung)")),
      exclusive_min(key<&EarlyStopConfig::reduction>(
                        "sweep.early_stop.reduction", V{3.0},
                        "asha: keep the best 1/eta at each rung; rungs eta apart"),
                    1),
      positive(key<&EarlyStopConfig::min_trials>(
          "sweep.early_stop.min_trials", V{I{3}},
          "median: other trials needed at an epoch before it judges there")),
      key<&SearchConfig::sampler>(
          "sweep.search.sampler", choice(SamplerKind::kTpe),
          "tpe (learns from the trials so far), random, or pbt (population-based training)"),
      positive(key<&SearchConfig::trials>(
          "sweep.search.trials", std::nullopt,
          "trials to propose for each fixed part, counted over every run of the sweep")),
      at_least(key<&SearchConfig::population>("sweep.search.population", std::nullopt,
                                              "pbt: members trained together"),
               2),
      positive(key<&SearchConfig::interval>("sweep.search.interval", V{I{1}},
                                            "pbt: epochs between a member's decisions")),
      at_most(positive(key<&SearchConfig::quantile>(
                  "sweep.search.quantile", V{0.25},
                  "pbt: the bottom share copies a member of the top share")),
              0.5),
      at_most(positive(key<&SearchConfig::perturb>(
                  "sweep.search.perturb", V{0.2},
                  "pbt: explore multiplies each key by 1 - perturb or 1 + perturb")),
              0.99),
      at_most(at_least(key<&SearchConfig::resample>(
                           "sweep.search.resample", V{0.25},
                           "pbt: chance that explore draws a key anew from the space instead"),
                       0),
              1),
      positive(key<&SearchConfig::startup>(
          "sweep.search.startup", V{I{10}},
          "finished trials drawn at random before the sampler learns from them")),
      positive(key<&ClusterConfig::heartbeat_s>(
          "cluster.heartbeat_s", V{600.0},
          "seconds a training rank may go without a step before its trial goes elsewhere")),
      positive(key<&ClusterConfig::lease_s>(
          "cluster.lease_s", V{60.0},
          "seconds a run keeps its trials without renewing; then other runs may take them over")),
  };
}

// The section struct of `c` that holds a key of `section`.
const void* section_in(const TrialConfig& c, Section section) {
  // In the order of Section, which begins with kSweep and ends with kCluster: not in a trial.
  const void* const sections[] = {nullptr, &c.data, &c.model,     &c.train,
                                  &c.loss, &c.kl,   &c.corruption};
  const auto i = static_cast<std::size_t>(section);
  if (i >= std::size(sections) || !sections[i]) throw std::logic_error("not a trial section");
  return sections[i];
}

void* section_in(TrialConfig& c, Section section) {
  return const_cast<void*>(section_in(static_cast<const TrialConfig&>(c), section));
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// What a TOML value is, for "expected an integer, got a string".
std::string describe(const toml::node& node) {
  static const std::map<toml::node_type, const char*> kNames = {
      {toml::node_type::string, "a string"},        {toml::node_type::integer, "an integer"},
      {toml::node_type::floating_point, "a float"}, {toml::node_type::boolean, "a boolean"},
      {toml::node_type::array, "an array"},         {toml::node_type::table, "a table"}};
  auto it = kNames.find(node.type());
  return it != kNames.end() ? it->second : "a date or time";
}

}  // namespace

const std::vector<KeySpec>& all_keys() {
  static const std::vector<KeySpec> keys = make_keys();
  return keys;
}

std::string array_shape(const TrialConfig& c) {
  std::string shape = c.data.path;
  for (const auto& k : all_keys())
    if (k.scope == Scope::Trial && !k.per_member) shape += " " + k.path + "=" + to_json(k.get(c));
  return shape;
}

void fill_defaults(Params& params) {
  const auto kind_it = params.find("model.kind");
  const ModelKind kind = kind_it != params.end()
                             ? from_value<ModelKind>(kind_it->second)
                             : from_value<ModelKind>(*find_key("model.kind")->default_value);
  for (const auto& k : all_keys()) {
    if (k.scope != Scope::Trial || params.count(k.path)) continue;
    auto by_kind = k.kind_defaults.find(kind);
    if (by_kind != k.kind_defaults.end())
      params[k.path] = by_kind->second;
    else if (k.default_value)
      params[k.path] = *k.default_value;
  }
}

void apply_defaults(Section section, void* object) {
  for (const auto& k : all_keys())
    if (k.field.section == section && k.default_value) k.field.set(object, *k.default_value);
}

Value KeySpec::get(const TrialConfig& c) const {
  return field.get(section_in(c, field.section));
}
void KeySpec::set(TrialConfig& c, const Value& v) const {
  field.set(section_in(c, field.section), v);
}
void KeySpec::expect_section(Section section) const {
  if (field.section != section) throw std::logic_error(path + " is not in this struct");
}

const KeySpec* find_key(const std::string& path) {
  for (const auto& k : all_keys())
    if (k.path == path) return &k;
  return nullptr;
}

std::string closest_key(const std::string& path, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = std::string::npos;
  for (const auto& c : candidates) {
    // Compare the last segment too, so "latnet" finds "model.latent".
    size_t d = edit_distance(path, c);
    auto dot = c.rfind('.');
    if (dot != std::string::npos) d = std::min(d, edit_distance(path, c.substr(dot + 1)));
    if (d < best_d) best_d = d, best = c;
  }
  return best_d <= std::max<size_t>(2, path.size() / 3) ? best : "";
}

const char* type_name(Type t) {
  switch (t) {
    case Type::Bool:
      return "a boolean";
    case Type::Int:
      return "an integer";
    case Type::Float:
      return "a number";
    case Type::String:
      return "a string";
    case Type::IntList:
      return "an array of integers";
  }
  return "?";
}

void check_bounds(const KeySpec& spec, const Value& v, const Source& where) {
  auto check_number = [&](double x, const std::string& shown) {
    bool ok = spec.min_exclusive ? x > spec.min : x >= spec.min;
    if (!ok)
      throw InputError(where, spec.path,
                       std::string("must be ") + (spec.min_exclusive ? "> " : ">= ") +
                           format_double(spec.min) + ", got " + shown);
  };
  auto check_max = [&](double x, const std::string& shown) {
    if (x > spec.max)
      throw InputError(where, spec.path,
                       "must be <= " + format_double(spec.max) + ", got " + shown);
  };
  if (auto i = std::get_if<std::int64_t>(&v)) check_number(static_cast<double>(*i), to_json(v));
  if (auto d = std::get_if<double>(&v)) check_max(*d, format_double(*d));
  if (auto d = std::get_if<double>(&v)) {
    if (!std::isfinite(*d)) throw InputError(where, spec.path, "must be finite");
    check_number(*d, format_double(*d));
  }
  if (auto l = std::get_if<IntList>(&v))
    for (auto x : *l) check_number(static_cast<double>(x), std::to_string(x) + " in " + to_json(v));
  if (auto s = std::get_if<std::string>(&v)) {
    if (!spec.choices.empty() &&
        std::find(spec.choices.begin(), spec.choices.end(), *s) == spec.choices.end()) {
      std::string list;
      for (const auto& c : spec.choices) list += (list.empty() ? "" : ", ") + c;
      throw InputError(where, spec.path, "unknown value \"" + *s + "\" (one of: " + list + ")");
    }
  }
}

Value convert(const KeySpec& spec, const toml::node& node, const Source& where) {
  auto wrong = [&]() {
    return InputError(where, spec.path,
                      std::string("expected ") + type_name(spec.type) + ", got " + describe(node));
  };
  Value v;
  switch (spec.type) {
    case Type::Bool:
      if (!node.is_boolean()) throw wrong();
      v = node.as_boolean()->get();
      break;
    case Type::Int:
      if (!node.is_integer()) throw wrong();
      v = node.as_integer()->get();
      break;
    case Type::Float:
      if (node.is_integer())
        v = static_cast<double>(node.as_integer()->get());
      else if (node.is_floating_point())
        v = node.as_floating_point()->get();
      else
        throw wrong();
      break;
    case Type::String:
      if (!node.is_string()) throw wrong();
      v = node.as_string()->get();
      break;
    case Type::IntList: {
      if (!node.is_array()) throw wrong();
      IntList list;
      for (const auto& el : *node.as_array()) {
        if (!el.is_integer()) throw wrong();
        list.push_back(el.as_integer()->get());
      }
      v = std::move(list);
      break;
    }
  }
  check_bounds(spec, v, where);
  return v;
}

}  // namespace sweeps
