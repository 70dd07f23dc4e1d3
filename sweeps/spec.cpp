#include "sweeps/spec.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <tuple>

#include "sweeps/piecewise.h"
#include "sweeps/schema.h"
#include "sweeps/search.h"
#include "sweeps/toml_input.h"
#include "util/files.h"
#include "util/hash.h"

namespace sweeps {
namespace {

// Deep-merges `from` into `into`; leaves of `from` replace those of `into`. Nodes are moved, not
// copied: toml++ drops source positions on copy, and errors must still say "--set ...".
void merge(toml::table& into, toml::table& from) {
  for (auto&& [k, v] : from) {
    auto* existing = into.get(k);
    if (existing && existing->is_table() && v.is_table())
      merge(*existing->as_table(), *v.as_table());
    else
      into.insert_or_assign(k, std::move(v));
  }
}

void leaf_paths(const toml::table& t, const std::string& prefix, std::vector<std::string>& out) {
  for (const auto& [k, v] : t) {
    std::string p = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    if (v.is_table())
      leaf_paths(*v.as_table(), p, out);
    else
      out.push_back(p);
  }
}

// Applies --set overrides to the document; returns the dotted paths they set.
std::vector<std::string> apply_overrides(toml::table& doc, const std::vector<std::string>& sets) {
  std::vector<std::string> paths;
  for (const auto& s : sets) {
    const std::string where = kSetPrefix + s;
    auto eq = s.find('=');
    if (eq == std::string::npos || eq == 0) throw InputError({where, 0}, "", "expected key=value");
    std::string k = s.substr(0, eq), v = s.substr(eq + 1);
    toml::table parsed;
    try {
      parsed = toml::parse(k + " = " + v, where);
    } catch (const toml::parse_error&) {
      // A bare word (dataset = fashion-mnist) is meant as a string.
      std::string quoted;
      for (char c : v)
        quoted += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
      try {
        parsed = toml::parse(k + " = \"" + quoted + "\"", where);
      } catch (const toml::parse_error& e) {
        throw InputError({where, 0}, k,
                         std::string("cannot parse: ") + std::string(e.description()));
      }
    }
    leaf_paths(parsed, "", paths);
    merge(doc, parsed);
  }
  return paths;
}

// Flattens nested tables to dotted paths, so `model.latent = [..]` and `"model.latent" = [..]`
// mean the same inside [sweep.*]. `is_leaf` stops descent (random distributions are tables).
template <typename IsLeaf>
void flatten(const toml::table& t, const std::string& prefix, IsLeaf is_leaf,
             std::vector<std::pair<std::string, const toml::node*>>& out) {
  for (const auto& [k, v] : t) {
    std::string p = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    if (v.is_table() && !is_leaf(*v.as_table()))
      flatten(*v.as_table(), p, is_leaf, out);
    else
      out.emplace_back(p, &v);
  }
}

bool is_series(const std::string& name) {
  return name == "train_loss" || name == "test_recon_mse" || name == "beta" || name == "test_elbo";
}

// A --set of a swept key pins it: the override wins over the axis.
void drop_overridden(SweepSpec& spec, const std::vector<std::string>& set_paths) {
  for (const auto& p : set_paths) {
    spec.grid.erase(std::remove_if(spec.grid.begin(), spec.grid.end(),
                                   [&](const Axis& a) { return a.path == p; }),
                    spec.grid.end());
    for (auto* table : {&spec.random, &spec.space})
      table->erase(std::remove_if(table->begin(), table->end(),
                                  [&](const Distribution& d) { return d.path == p; }),
                   table->end());
    for (auto& c : spec.cases) c.erase(p);
  }
  if (spec.random.empty()) spec.samples = 0;
}

void read_early_stop(const toml::node& node, EarlyStopConfig& c, const std::string& file) {
  if (!node.is_table())
    throw InputError(source_of(node, file), "sweep.early_stop", "expected a table");
  auto series = [](const std::string& m, const Source& at, const std::string& key) {
    if (!is_series(m))
      throw InputError(
          at, key, "\"" + m + "\" is not a series: train_loss, test_recon_mse, beta or test_elbo");
  };
  for (const auto& [k, v] : *node.as_table()) {
    const std::string path = "sweep.early_stop." + std::string(k.str());
    if (path == "sweep.early_stop.objectives") {
      c.objectives = read_objectives(
          v, file, path, [&](const std::string& m, const Source& at) { series(m, at, path); });
      if (c.objectives.size() < 2)
        throw InputError(source_of(v, file), path, "two or more series (one: use metric and mode)");
      continue;
    }
    const KeySpec* key = find_key(path);
    if (!key || key->scope != Scope::EarlyStop) {
      auto known = paths_in(Scope::EarlyStop);
      known.push_back("sweep.early_stop.objectives");
      throw InputError(source_of(v, file), path, "unknown key" + suggestion(path, known));
    }
    key->set(c, convert(*key, v, source_of(v, file)));
    if (path == "sweep.early_stop.metric") series(c.metric, source_of(v, file), path);
  }
  if (!c.objectives.empty() && c.kind != EarlyStopKind::kAsha)
    throw InputError(source_of(node, file), "sweep.early_stop.objectives",
                     "several series need kind = \"asha\" (the median rule judges one)");
}

class Parser {
 public:
  Parser(std::string file) : file_(std::move(file)) {}

  SweepSpec parse(toml::table& doc, const std::vector<std::string>& set_paths) {
    SweepSpec spec;
    spec.file = file_;
    check_unknown(doc);
    read_top(doc, spec);
    read_trial_keys(doc, spec);
    read_cluster(doc, spec.cluster);
    if (auto* sweep = doc.get("sweep")) read_sweep(*sweep, spec);
    drop_overridden(spec, set_paths);
    check_count(doc, spec);
    return spec;
  }

 private:
  Source src(const toml::node& n) const { return source_of(n, file_); }

  void check_unknown(const toml::table& doc) {
    static const std::set<std::string> tables = {"data", "model",      "train",   "loss",
                                                 "kl",   "corruption", "cluster", "sweep"};
    std::vector<std::string> known;
    for (const auto& k : all_keys()) known.push_back(k.path);
    for (const auto& [k, v] : doc) {
      std::string key(k.str());
      if (key == "sweep") continue;
      if (tables.count(key)) {
        if (!v.is_table()) throw InputError(src(v), key, "expected a table");
        for (const auto& [k2, v2] : *v.as_table()) {
          std::string path = key + "." + std::string(k2.str());
          if (!find_key(path))
            throw InputError(src(v2), path, "unknown key" + suggestion(path, known));
        }
      } else if (!find_key(key)) {
        throw InputError(src(v), key, "unknown key" + suggestion(key, known));
      }
    }
  }

  const toml::node* lookup(const toml::table& doc, const std::string& path) {
    auto dot = path.find('.');
    if (dot == std::string::npos) return doc.get(path);
    auto* t = doc.get(path.substr(0, dot));
    return t && t->is_table() ? t->as_table()->get(path.substr(dot + 1)) : nullptr;
  }

  void read_top(const toml::table& doc, SweepSpec& spec) {
    for (const auto& k : all_keys()) {
      if (k.scope != Scope::Sweep) continue;
      if (auto* n = lookup(doc, k.path))
        k.set(spec, convert(k, *n, src(*n)));
      else if (k.required)
        throw InputError({file_, 0}, k.path, "required key is missing");
    }
    static const std::regex safe("[A-Za-z0-9_.-]+");
    if (!std::regex_match(spec.name, safe) || spec.name == "." || spec.name == "..")
      throw InputError(src(*doc.get("name")), "name",
                       "\"" + spec.name + "\" is not a safe name: use letters, digits, _ . - only");
  }

  void read_cluster(const toml::table& doc, ClusterConfig& c) {
    for (const auto& k : all_keys())
      if (k.scope == Scope::Cluster)
        if (auto* n = lookup(doc, k.path)) k.set(c, convert(k, *n, src(*n)));
  }

  void read_trial_keys(const toml::table& doc, SweepSpec& spec) {
    for (const auto& k : all_keys()) {
      if (k.scope != Scope::Trial) continue;
      // Only what the file sets: defaults depend on the trial's model.kind (fill_defaults).
      if (auto* n = lookup(doc, k.path)) {
        spec.base[k.path] = convert(k, *n, src(*n));
        spec.sources[k.path] = src(*n);
      }
    }
  }

  const KeySpec& sweepable(const std::string& path, const toml::node& at,
                           const std::string& where) {
    const KeySpec* k = find_key(path);
    if (!k || k->scope != Scope::Trial)
      throw InputError(
          src(at), where,
          "unknown sweep path '" + path + "'" + suggestion(path, paths_in(Scope::Trial)));
    return *k;
  }

  void read_sweep(const toml::node& node, SweepSpec& spec) {
    if (!node.is_table()) throw InputError(src(node), "sweep", "expected a table");
    for (const auto& [k, v] : *node.as_table()) {
      std::string key(k.str());
      if (key == "grid")
        read_grid(v, spec);
      else if (key == "cases")
        read_cases(v, spec);
      else if (key == "random")
        read_random(v, spec);
      else if (key == "early_stop")
        read_early_stop(v, spec.early_stop, file_);
      else if (key == "search")
        read_search(v, spec, file_, [&](const toml::node& space) {
          return read_distributions(space, "sweep.search.space", spec);
        });
      else
        throw InputError(
            src(v), "sweep." + key,
            "unknown key" + suggestion("sweep." + key, {"sweep.grid", "sweep.cases", "sweep.random",
                                                        "sweep.early_stop", "sweep.search"}));
    }
    if (spec.search.sampler == SamplerKind::kPbt && spec.early_stop.kind != EarlyStopKind::kNone)
      throw InputError(src(*node.as_table()->get("early_stop")), "sweep.early_stop",
                       "not with pbt, which does its own stopping: a member that does badly "
                       "copies a better one");
    std::set<std::string> seen;
    auto claim = [&](const std::string& path, const char* where) {
      if (!seen.insert(path).second)
        throw InputError({file_, 0}, path,
                         std::string("swept twice (again in ") + where + "): sweep each key once");
    };
    for (const auto& a : spec.grid) claim(a.path, "sweep.grid");
    for (const auto& d : spec.random) claim(d.path, "sweep.random");
    for (const auto& d : spec.space) claim(d.path, "sweep.search.space");
    std::set<std::string> case_keys;
    for (const auto& c : spec.cases)
      for (const auto& [p, _] : c) case_keys.insert(p);
    for (const auto& p : case_keys) claim(p, "sweep.cases");
    if (!spec.space.empty() && !spec.random.empty())
      throw InputError(spec.source_of(spec.random.front().path), "sweep.random",
                       "cannot sit beside [sweep.search]: search those keys in its space");
  }

  void read_grid(const toml::node& node, SweepSpec& spec) {
    if (!node.is_table()) throw InputError(src(node), "sweep.grid", "expected a table");
    std::vector<std::pair<std::string, const toml::node*>> entries;
    flatten(
        *node.as_table(), "", [](const toml::table&) { return false; }, entries);
    for (const auto& [path, n] : entries) {
      std::string where = "sweep.grid." + path;
      const KeySpec& k = sweepable(path, *n, where);
      if (!n->is_array()) throw InputError(src(*n), where, "expected an array of values");
      Axis axis{path, {}};
      for (const auto& el : *n->as_array()) axis.values.push_back(convert(k, el, src(el)));
      spec.sources[path] = src(*n);
      if (axis.values.empty())
        throw InputError(src(*n), where, "empty axis: give at least one value");
      spec.grid.push_back(std::move(axis));
    }
  }

  void read_cases(const toml::node& node, SweepSpec& spec) {
    if (!node.is_array_of_tables())
      throw InputError(src(node), "sweep.cases", "expected [[sweep.cases]] tables");
    if (node.as_array()->empty()) throw InputError(src(node), "sweep.cases", "no cases given");
    for (const auto& c : *node.as_array()) {
      std::vector<std::pair<std::string, const toml::node*>> entries;
      flatten(
          *c.as_table(), "", [](const toml::table&) { return false; }, entries);
      Params p;
      for (const auto& [path, n] : entries) {
        p[path] = convert(sweepable(path, *n, "sweep.cases." + path), *n, src(*n));
        spec.sources[path] = src(*n);
      }
      spec.cases.push_back(std::move(p));
    }
  }

  void read_random(const toml::node& node, SweepSpec& spec) {
    if (!node.is_table()) throw InputError(src(node), "sweep.random", "expected a table");
    const toml::node* samples = node.as_table()->get("samples");
    spec.random = read_distributions(node, "sweep.random", spec, "samples");
    if (!samples) throw InputError(src(node), "sweep.random.samples", "required key is missing");
    if (!samples->is_integer() || samples->as_integer()->get() < 1)
      throw InputError(src(*samples), "sweep.random.samples", "expected an integer >= 1");
    spec.samples = samples->as_integer()->get();
  }

  // A table of distributions ([sweep.random], [sweep.search.space]), but its key `skip`; at
  // least one.
  std::vector<Distribution> read_distributions(const toml::node& node, const std::string& table,
                                               SweepSpec& spec, const std::string& skip = "") {
    if (!node.is_table()) throw InputError(src(node), table, "expected a table");
    static const std::vector<std::string> kinds = {"uniform", "log_uniform", "int_uniform",
                                                   "choice"};
    auto is_dist = [](const toml::table& t) {
      return t.size() == 1 && std::find(kinds.begin(), kinds.end(),
                                        std::string(t.begin()->first.str())) != kinds.end();
    };
    std::vector<std::pair<std::string, const toml::node*>> entries;
    flatten(*node.as_table(), "", is_dist, entries);
    std::vector<Distribution> out;
    for (const auto& [path, n] : entries) {
      if (path == skip) continue;
      std::string where = table + "." + path;
      const KeySpec& k = sweepable(path, *n, where);
      if (!n->is_table() || !is_dist(*n->as_table()))
        throw InputError(src(*n), where,
                         "expected { uniform = [lo, hi] }, { log_uniform = [lo, hi] }, "
                         "{ int_uniform = [lo, hi] } or { choice = [...] }");
      out.push_back(read_distribution(k, *n->as_table(), where));
      spec.sources[path] = src(*n);
    }
    if (out.empty())
      throw InputError(src(node), table,
                       "no keys to draw: add e.g. \"train.lr\" = { log_uniform = [1e-4, 1e-2] }");
    return out;
  }

  Distribution read_distribution(const KeySpec& k, const toml::table& t, const std::string& where);

  void check_count(const toml::table& doc, const SweepSpec& spec) {
    std::int64_t n = count_trials(spec);
    if (n < 0 || n > spec.max_trials) {
      const toml::node* at = doc.get("max_trials");
      throw InputError(at ? src(*at) : Source{file_, 0}, "max_trials",
                       "the sweep expands to " +
                           (n < 0 ? std::string("more than 2^62") : std::to_string(n)) +
                           " trials, more than max_trials = " + std::to_string(spec.max_trials));
    }
  }

  std::string file_;
};

Distribution Parser::read_distribution(const KeySpec& k, const toml::table& t, const std::string& where) {
  const std::string kind(t.begin()->first.str());
  const toml::node& arg = t.begin()->second;
  Distribution d;
  d.path = k.path;
  if (!arg.is_array()) throw InputError(src(arg), where, kind + " expects an array");
  const auto& arr = *arg.as_array();
  if (kind == "choice") {
    d.kind = Distribution::Kind::Choice;
    for (const auto& el : arr) d.choices.push_back(convert(k, el, src(el)));
    if (d.choices.empty()) throw InputError(src(arg), where, "choice needs at least one value");
    return d;
  }
  d.kind = kind == "uniform"       ? Distribution::Kind::Uniform
           : kind == "log_uniform" ? Distribution::Kind::LogUniform
                                   : Distribution::Kind::IntUniform;
  bool int_dist = d.kind == Distribution::Kind::IntUniform;
  if (int_dist != (k.type == Type::Int))
    throw InputError(
        src(arg), where,
        kind + " does not fit " + type_name(k.type) +
            (int_dist ? ": use uniform or log_uniform" : ": use int_uniform or choice"));
  if (arr.size() != 2 || !arr[0].is_number() || !arr[1].is_number() ||
      (int_dist && !(arr[0].is_integer() && arr[1].is_integer())))
    throw InputError(src(arg), where, kind + " expects [low, high]");
  d.low = arr[0].value<double>().value();
  d.high = arr[1].value<double>().value();
  if (!(d.low <= d.high)) throw InputError(src(arg), where, "low must not exceed high");
  if (d.kind == Distribution::Kind::LogUniform && d.low <= 0)
    throw InputError(src(arg), where, "log_uniform needs low > 0");
  // Both ends must themselves be valid values of the key.
  check_bounds(k, int_dist ? Value{static_cast<std::int64_t>(d.low)} : Value{d.low}, src(arr[0]));
  check_bounds(k, int_dist ? Value{static_cast<std::int64_t>(d.high)} : Value{d.high},
               src(arr[1]));
  return d;
}

}  // namespace

// std::mt19937_64's output is fixed by the C++ standard, unlike the standard distributions, so
// draws are mapped to values here: the same sweep expands the same way everywhere.
double unit(std::mt19937_64& rng) {
  return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

Value draw(const Distribution& d, std::mt19937_64& rng) {
  switch (d.kind) {
    case Distribution::Kind::Uniform:
      return d.low + (d.high - d.low) * unit(rng);
    case Distribution::Kind::LogUniform:
      return std::exp(std::log(d.low) + (std::log(d.high) - std::log(d.low)) * unit(rng));
    case Distribution::Kind::IntUniform: {
      auto lo = static_cast<std::int64_t>(d.low), hi = static_cast<std::int64_t>(d.high);
      return lo + static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(hi - lo + 1));
    }
    case Distribution::Kind::Choice:
      return d.choices[rng() % d.choices.size()];
  }
  return {};
}

namespace {

Value end_of(const Distribution& d, bool high) {
  const double v = high ? d.high : d.low;
  if (d.kind == Distribution::Kind::IntUniform) return Value{static_cast<std::int64_t>(v)};
  return Value{v};
}

// Every model.path the sweep may give a trial: resolved against the sweep file's folder, and
// its contents hashed, once.
void hash_model_files(SweepSpec& spec) {
  std::vector<Value> values;
  if (const auto it = spec.base.find("model.path"); it != spec.base.end())
    values.push_back(it->second);
  for (const auto& c : spec.cases)
    if (const auto it = c.find("model.path"); it != c.end()) values.push_back(it->second);
  for (const auto& a : spec.grid)
    if (a.path == "model.path") values.insert(values.end(), a.values.begin(), a.values.end());
  for (const auto* list : {&spec.random, &spec.space})
    for (const auto& d : *list)
      if (d.path == "model.path") values.insert(values.end(), d.choices.begin(), d.choices.end());
  for (const auto& v : values) {
    const auto& path = std::get<std::string>(v);
    if (path.empty() || spec.model_files.count(path)) continue;
    const std::string file = path[0] == '/' ? path : spec.dataset_dir + "/" + path;
    if (!util::file_exists(file))
      throw InputError(spec.source_of("model.path"), "model.path",
                       "cannot read the module file " + file);
    spec.model_files[path] = {file, util::hex64(util::stable_hash64(util::read_file(file)))};
  }
}

// Checks between keys of one resolved trial, each error at the line of the key that is off.
void check_trial(const TrialConfig& c, const SweepSpec& spec) {
  auto fail = [&](const char* k, const std::string& msg) {
    throw InputError(spec.source_of(k), k, msg);
  };
  const ModelKind model = c.model.kind;
  const std::string model_name = name_of(model);
  if (c.model.encoder == EncoderKind::kShift &&
      (model == ModelKind::kContractive || model == ModelKind::kConv ||
       model == ModelKind::kRandomized))
    fail("model.encoder", "\"shift\" does not fit model.kind = \"" + model_name +
                              "\" (contractive and randomized need MLP layers; conv has its own)");
  for (const auto& [key, text, min] :
       {std::tuple{"train.lr_schedule", &c.train.lr_schedule, 1e-300},
        std::tuple{"loss.beta_schedule", &c.loss.beta_schedule, 0.0}}) {
    try {
      for (const auto& p : parse_pieces(*text, min))
        if (p.epoch > c.train.epochs)
          throw std::invalid_argument("epoch " + std::to_string(p.epoch) +
                                      " is past train.epochs (" + std::to_string(c.train.epochs) +
                                      ")");
    } catch (const std::invalid_argument& e) {
      fail(key, e.what());
    }
  }
  if (model == ModelKind::kTorchscript && c.model.path.empty())
    fail("model.kind",
         "\"torchscript\" needs model.path: the file torch.jit.script(model).save() "
         "wrote");
  if (model != ModelKind::kTorchscript && !c.model.path.empty())
    fail("model.path", "is for model.kind = \"torchscript\" only, not \"" + model_name + "\"");
  const auto& k = c.corruption;
  if (model == ModelKind::kRandomized && k.mask_input)
    fail("corruption.mask_input",
         "model.kind = \"randomized\" reconstructs its input layer by layer: no mask input");
  const std::string kind = name_of(k.kind);
  if (k.threshold_min > k.threshold_max)
    fail("corruption.threshold_min",
         "must not exceed corruption.threshold_max (" + format_double(k.threshold_max) + ")");
  if (k.mask_input && k.kind != CorruptionKind::kBlotch && k.kind != CorruptionKind::kMasking)
    fail("corruption.mask_input",
         "needs corruption.kind = \"blotch\" or \"masking\" (there is no mask for \"" + kind +
             "\")");
  const bool share = k.kind == CorruptionKind::kMasking || k.kind == CorruptionKind::kSaltPepper;
  if ((share || k.kind == CorruptionKind::kGaussian) && k.level <= 0)
    fail("corruption.level", "must be > 0 for corruption.kind = \"" + kind + "\"");
  if (share && k.level > 1)
    fail("corruption.level", "is a share of pixels for \"" + kind + "\": must be <= 1");
}

// Checks the trial of `params`; with a search, the trials at the ends of its space instead: every
// range at its low end, then at its high end (with each choice at its first value), and each
// choice's every value (with the ranges at their low ends).
void check_space(const SweepSpec& spec, const Params& params) {
  auto check = [&](Params p) {
    fill_defaults(p);
    check_trial(trial_config_from(p), spec);
  };
  // A part's searched keys sit at their defaults, which need not be valid values: only the
  // trials the search may propose are checked.
  if (!spec.searching()) return check(params);
  auto corner = [&](bool high) {
    Params p = params;
    for (const auto& d : spec.space)
      p[d.path] = d.kind == Distribution::Kind::Choice ? d.choices.front() : end_of(d, high);
    return p;
  };
  check(corner(false));
  check(corner(true));
  for (const auto& d : spec.space)
    for (const auto& choice : d.choices) {
      Params p = corner(false);
      p[d.path] = choice;
      check(p);
    }
}

}  // namespace

SweepSpec parse_sweep(const std::string& text, const std::string& file,
                      const std::vector<std::string>& overrides) {
  toml::table doc;
  try {
    doc = toml::parse(text, file);
  } catch (const toml::parse_error& e) {
    throw InputError({file, static_cast<int>(e.source().begin.line)}, "",
                     "TOML syntax error: " + std::string(e.description()));
  }
  auto set_paths = apply_overrides(doc, overrides);
  SweepSpec spec = Parser(file).parse(doc, set_paths);
  const auto slash = file.rfind('/');
  spec.dataset_dir = slash == std::string::npos ? "." : file.substr(0, slash);
  hash_model_files(spec);
  expand(spec);  // checks every resolved trial (check_trial); max_trials bounds the work
  return spec;
}

SweepSpec load_sweep(const std::string& path, const std::vector<std::string>& overrides) {
  if (!util::file_exists(path)) throw InputError({path, 0}, "", "cannot read the sweep file");
  return parse_sweep(util::read_file(path), path, overrides);
}

Source SweepSpec::source_of(const std::string& path) const {
  auto it = sources.find(path);
  return it != sources.end() ? it->second : Source{file, 0};
}

std::int64_t count_trials(const SweepSpec& spec) {
  const std::int64_t cap = std::int64_t{1} << 62;
  std::int64_t n = std::max<std::int64_t>(1, static_cast<std::int64_t>(spec.cases.size()));
  auto mul = [&](std::int64_t f) { n = (n > cap / std::max<std::int64_t>(f, 1)) ? cap : n * f; };
  for (const auto& a : spec.grid) mul(static_cast<std::int64_t>(a.values.size()));
  mul(std::max<std::int64_t>(1, spec.samples));
  mul(spec.repeats);
  if (spec.searching()) mul(spec.search.trials);
  return n >= cap ? -1 : n;
}

Trial trial_of(const SweepSpec& spec, const Params& params, std::int64_t repeat) {
  Trial t;
  t.repeat = repeat;
  t.params = params;
  fill_defaults(t.params);
  std::map<std::string, Value> top = {{"seed", Value{spec.seed}}};
  // A module file counts by its contents, not its name: the hash stands in for the path.
  Params identity = t.params;
  if (const auto it = identity.find("model.path"); it != identity.end()) {
    const auto& path = std::get<std::string>(it->second);
    if (!path.empty()) {
      const auto file = spec.model_files.find(path);
      if (file == spec.model_files.end())
        throw std::logic_error("model.path " + path + " was not hashed");
      top["model_file_hash"] = Value{file->second.hash};
    }
    identity.erase(it);
  }
  t.config_json = params_to_json(t.params, top);
  const std::string identity_json = params_to_json(identity, top);
  t.config_hash = util::hex64(util::stable_hash64(identity_json));
  t.id = util::hex64(
             util::stable_hash64(spec.name + '\0' + t.config_hash + '\0' + std::to_string(repeat)))
             .substr(0, 12);
  t.seed = static_cast<std::int64_t>(
      util::stable_hash64(identity_json + "/repeat/" + std::to_string(repeat)) >> 1);
  if (const auto it = t.params.find("train.seed"); it != t.params.end())
    t.seed = std::get<std::int64_t>(it->second) + repeat;  // repeats still differ
  return t;
}

std::vector<Trial> expand(const SweepSpec& spec) {
  // Random points are drawn once and crossed with every case and grid point.
  std::vector<Params> points(std::max<std::int64_t>(1, spec.samples));
  std::mt19937_64 rng(util::fnv1a64("random/" + std::to_string(spec.seed)));
  for (auto& p : points)
    for (const auto& d : spec.random) p[d.path] = draw(d, rng);

  std::vector<Params> cases = spec.cases.empty() ? std::vector<Params>{{}} : spec.cases;
  std::vector<Trial> trials;
  for (const auto& c : cases) {
    std::vector<size_t> at(spec.grid.size(), 0);
    while (true) {
      for (const auto& point : points) {
        Params params = spec.base;
        for (const auto& [k, v] : c) params[k] = v;
        for (size_t i = 0; i < spec.grid.size(); ++i)
          params[spec.grid[i].path] = spec.grid[i].values[at[i]];
        for (const auto& [k, v] : point) params[k] = v;
        check_space(spec, params);
        for (std::int64_t r = 0; r < spec.repeats; ++r) trials.push_back(trial_of(spec, params, r));
      }
      // Odometer over the grid, last axis fastest.
      size_t i = spec.grid.size();
      while (i > 0 && ++at[i - 1] == spec.grid[i - 1].values.size()) at[--i] = 0;
      if (i == 0) break;
    }
  }
  return trials;
}

std::vector<std::string> varying_keys(const std::vector<Trial>& trials) {
  std::vector<std::string> out;
  if (trials.empty()) return out;
  for (const auto& [k, v] : trials.front().params)
    for (const auto& t : trials)
      if (t.params.at(k) != v) {
        out.push_back(k);
        break;
      }
  return out;
}

}  // namespace sweeps
