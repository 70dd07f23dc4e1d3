#include "sweeps/schema.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cmath>

namespace sweeps {
namespace {

KeySpec key(std::string path, Type type, Scope scope, std::optional<Value> def, std::string help) {
  KeySpec k;
  k.path = std::move(path);
  k.type = type;
  k.scope = scope;
  k.default_value = std::move(def);
  k.help = std::move(help);
  return k;
}

KeySpec positive(KeySpec k) {
  k.min = 0;
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

KeySpec by_kind(KeySpec k, std::map<std::string, Value> defaults) {
  k.kind_defaults = std::move(defaults);
  return k;
}

KeySpec one_of(KeySpec k, std::vector<std::string> choices) {
  k.choices = std::move(choices);
  return k;
}

std::vector<KeySpec> make_keys() {
  using V = Value;
  const auto S = Scope::Sweep, T = Scope::Trial, C = Scope::Cluster;
  KeySpec name = key("name", Type::String, S, std::nullopt, "sweep name, [A-Za-z0-9_.-]+");
  name.required = true;
  return {
      name,
      at_least(key("seed", Type::Int, S, V{std::int64_t{0}}, "base seed"), 0),
      positive(key("repeats", Type::Int, S, V{std::int64_t{1}}, "independent seeds per config")),
      positive(key("max_trials", Type::Int, S, V{std::int64_t{10000}}, "refuse larger sweeps")),
      key("data.dataset", Type::String, T, V{std::string("mnist")},
          "mnist, fashion-mnist, or a directory of IDX files"),
      positive(key("data.train_limit", Type::Int, T, std::nullopt, "first N training samples")),
      positive(key("data.test_limit", Type::Int, T, std::nullopt, "first N test samples")),
      one_of(key("model.kind", Type::String, T, V{std::string("dense")}, "autoencoder family"),
             {"dense", "sparse_l1", "sparse_binary", "contractive", "conv", "randomized", "vae",
              "icvae"}),
      by_kind(
          at_least(key("model.hidden", Type::IntList, T, V{IntList{256}}, "encoder hidden widths"),
                   1),
          {{"icvae", V{IntList{512, 512}}}, {"sparse_binary", V{IntList{512, 128}}}}),
      by_kind(positive(key("model.latent", Type::Int, T, V{std::int64_t{64}}, "code size")),
              {{"icvae", V{std::int64_t{16}}},
               {"vae", V{std::int64_t{16}}},
               {"sparse_binary", V{std::int64_t{4096}}}}),
      by_kind(one_of(key("model.activation", Type::String, T, V{std::string("relu")},
                         "hidden activation"),
                     {"relu", "tanh", "sigmoid", "sin"}),
              {{"icvae", V{std::string("tanh")}}}),
      at_least(key("model.channels", Type::IntList, T, V{IntList{16, 32}},
                   "conv: filters per pooling stage"),
               1),
      one_of(key("model.encoder", Type::String, T, V{std::string("mlp")},
                 "mlp, or document 000's shift"),
             {"mlp", "shift"}),
      positive(key("model.shift_layers", Type::Int, T, V{std::int64_t{4}}, "shift: shift layers")),
      positive(key("train.epochs", Type::Int, T, V{std::int64_t{5}}, "passes over the train set")),
      positive(key("train.batch_size", Type::Int, T, V{std::int64_t{128}}, "global batch")),
      by_kind(positive(key("train.lr", Type::Float, T, V{1e-3}, "Adam learning rate")),
              {{"icvae", V{5e-4}}}),
      by_kind(
          at_least(key("loss.beta", Type::Float, T, V{1.0}, "weight of the KL to the prior"), 0),
          {{"icvae", V{0.1}}}),
      by_kind(
          at_least(key("loss.lambda", Type::Float, T, V{0.0}, "penalty or invariance weight"), 0),
          {{"icvae", V{1.0}},
           {"sparse_l1", V{1e-3}},
           {"sparse_binary", V{1e-4}},
           {"contractive", V{1e-3}}}),
      one_of(key("kl.schedule", Type::String, T, V{std::string("constant")}, "KL annealing"),
             {"constant", "monotone", "cyclical"}),
      positive(
          key("kl.cycles", Type::Int, T, V{std::int64_t{4}}, "M, cycles of a cyclical schedule")),
      at_most(positive(key("kl.ratio", Type::Float, T, V{0.5}, "R, rising share of a cycle")), 1),
      one_of(key("kl.shape", Type::String, T, V{std::string("linear")}, "how the factor rises"),
             {"linear", "sigmoid", "cosine"}),
      one_of(
          key("corruption.kind", Type::String, T, V{std::string("none")}, "what the encoder sees"),
          {"none", "gaussian", "masking", "salt_pepper", "blotch"}),
      at_least(key("corruption.level", Type::Float, T, V{0.0}, "noise std or share of pixels hit"),
               0),
      at_most(at_least(key("corruption.threshold_min", Type::Float, T, V{0.3},
                           "blotch: least share kept"),
                       0),
              1),
      at_most(at_least(key("corruption.threshold_max", Type::Float, T, V{0.8},
                           "blotch: most share kept"),
                       0),
              1),
      key("corruption.mask_input", Type::Bool, T, V{false}, "feed the mask to the network too"),
      one_of(key("train.device", Type::String, T, V{std::string("auto")}, "auto, cpu or cuda"),
             {"auto", "cpu", "cuda"}),
      positive(key("cluster.threads_per_rank", Type::Int, C, std::nullopt,
                   "LibTorch intra-op threads per rank")),
      positive(key("cluster.ranks_per_trial", Type::Int, C, V{std::int64_t{1}},
                   "ranks that train one trial in data parallel")),
      positive(key("cluster.collective_timeout_s", Type::Float, C, V{600.0},
                   "seconds before a stuck collective aborts the job")),
  };
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

std::string describe(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::table:
      return "a table";
    default:
      return "a date or time";
  }
}

}  // namespace

const std::vector<KeySpec>& all_keys() {
  static const std::vector<KeySpec> keys = make_keys();
  return keys;
}

void fill_defaults(Params& params) {
  const auto kind_it = params.find("model.kind");
  const std::string kind = kind_it != params.end()
                               ? std::get<std::string>(kind_it->second)
                               : std::get<std::string>(*find_key("model.kind")->default_value);
  for (const auto& k : all_keys()) {
    if (k.scope != Scope::Trial || params.count(k.path)) continue;
    auto by_kind = k.kind_defaults.find(kind);
    if (by_kind != k.kind_defaults.end())
      params[k.path] = by_kind->second;
    else if (k.default_value)
      params[k.path] = *k.default_value;
  }
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
