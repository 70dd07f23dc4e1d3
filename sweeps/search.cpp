#include "sweeps/search.h"

#include <toml++/toml.h>

#include <cmath>
#include <limits>
#include <regex>
#include <set>

#include "sweeps/metrics.h"
#include "sweeps/schema.h"
#include "sweeps/toml_input.h"
#include "util/files.h"

namespace sweeps {
namespace {

const std::vector<std::string>& special_keys() {
  static const std::vector<std::string> keys = {"sweep.search.space", "sweep.search.objectives",
                                                "sweep.search.constraints",
                                                "sweep.search.warm_start"};
  return keys;
}

void check_metric(const std::string& metric, const Source& at, const std::string& key) {
  if (!is_final_metric(metric))
    throw InputError(at, key,
                     "unknown final metric \"" + metric + "\": one of " + final_metric_list());
}

std::vector<std::string> read_strings(const toml::node& node, const std::string& file,
                                      const std::string& key) {
  const auto* arr = node.as_array();
  if (!arr) throw InputError(source_of(node, file), key, "expected an array of strings");
  std::vector<std::string> out;
  for (const auto& el : *arr) {
    if (!el.is_string()) throw InputError(source_of(el, file), key, "expected a string");
    out.push_back(el.as_string()->get());
  }
  return out;
}

// "NAME" (a sweep of this database) or "FILE:NAME" (FILE relative to the sweep file's folder).
void check_warm_source(const std::string& entry, const std::string& file, const Source& at,
                       const std::string& key) {
  static const std::regex safe("[A-Za-z0-9_.-]+");
  const auto colon = entry.rfind(':');
  const std::string name = colon == std::string::npos ? entry : entry.substr(colon + 1);
  if (!std::regex_match(name, safe))
    throw InputError(at, key, "\"" + entry + "\" is not a sweep name (or FILE:NAME)");
  if (colon == std::string::npos) return;
  std::string path = entry.substr(0, colon);
  const auto slash = file.rfind('/');
  if (!path.empty() && path[0] != '/' && slash != std::string::npos)
    path = file.substr(0, slash) + "/" + path;
  if (!util::file_exists(path)) throw InputError(at, key, "no database " + path);
}

void read_entry(const std::string& name, const toml::node& v, SweepSpec& spec,
                const std::string& file, const SpaceReader& read_space) {
  const std::string path = "sweep.search." + name;
  if (name == "space") {
    spec.space = read_space(v);
  } else if (name == "objectives") {  // checked once the sampler is known (check_objectives)
    spec.objectives = read_objectives(v, file, path, [](const std::string&, const Source&) {});
  } else if (name == "constraints") {
    for (const auto& text : read_strings(v, file, path))
      spec.constraints.push_back(parse_constraint(text, source_of(v, file), path));
  } else if (name == "warm_start") {
    spec.warm_start = read_strings(v, file, path);
    for (const auto& entry : spec.warm_start) {
      check_warm_source(entry, file, source_of(v, file), path);
      if (entry == spec.name)  // its own trials are its record already
        throw InputError(source_of(v, file), path, "\"" + entry + "\" is this sweep");
    }
  } else {
    const KeySpec* key = find_key(path);
    if (!key || key->scope != Scope::Search) {
      auto known = paths_in(Scope::Search);
      known.insert(known.end(), special_keys().begin(), special_keys().end());
      throw InputError(source_of(v, file), path, "unknown key" + suggestion(path, known));
    }
    key->set(spec.search, convert(*key, v, source_of(v, file)));
  }
}

// What a search judges by: final metrics; for pbt one series, judged as members train.
void check_objectives(const toml::node& node, const SweepSpec& spec, const std::string& file) {
  const std::string key = "sweep.search.objectives";
  const bool pbt = spec.search.sampler == SamplerKind::kPbt;
  read_objectives(node, file, key, [&](const std::string& m, const Source& at) {
    if (!pbt) return check_metric(m, at, key);
    if (m != "test_recon_mse" && m != "train_loss" && m != "test_elbo")
      throw InputError(at, key,
                       "pbt judges members as they train, by a series: test_recon_mse, "
                       "test_elbo (vae, icvae) or train_loss, not \"" +
                           m + "\"");
  });
  if (pbt && spec.objectives.size() != 1)
    throw InputError(source_of(node, file), key, "pbt judges by one series");
}

// Population-based training's own rules: its population is the budget, and only keys that leave
// a model's shape alone may change while it trains.
void check_pbt(const toml::table& t, SweepSpec& spec, const std::string& file) {
  const Source at = source_of(t, file);
  if (spec.search.sampler != SamplerKind::kPbt) {
    for (const char* k : {"population", "interval", "quantile", "perturb", "resample"})
      if (const auto* n = t.get(k))
        throw InputError(source_of(*n, file), std::string("sweep.search.") + k,
                         "only with sampler = \"pbt\"");
    if (spec.search.trials <= 0)
      throw InputError(at, "sweep.search.trials", "required key is missing");
    return;
  }
  if (const auto* n = t.get("trials"))
    throw InputError(source_of(*n, file), "sweep.search.trials",
                     "pbt trains a population: give sweep.search.population instead");
  if (spec.search.population <= 0)
    throw InputError(at, "sweep.search.population", "required with sampler = \"pbt\"");
  spec.search.trials = spec.search.population;
  spec.search.startup = spec.search.population;  // the population is drawn at random
  // What may change is what the key table marks per-member, with a value a factor can perturb.
  auto changes = [](const KeySpec& k) { return k.per_member && k.type == Type::Float; };
  for (const auto& d : spec.space) {
    if (changes(*find_key(d.path))) continue;
    std::string may;
    for (const auto& k : all_keys())
      if (changes(k)) may += (may.empty() ? "" : ", ") + k.path;
    throw InputError(spec.source_of(d.path), "sweep.search.space." + d.path,
                     "pbt changes keys while a member trains; \"" + d.path +
                         "\" would change its model, data or steps (keys that may change: " + may +
                         ")");
  }
}

}  // namespace

std::vector<Objective> read_objectives(const toml::node& node, const std::string& file,
                                       const std::string& key, const MetricCheck& check) {
  const Source at = source_of(node, file);
  const auto* arr = node.as_array();
  if (!arr || arr->empty())
    throw InputError(at, key, "expected [{ metric = \"recon_mse\", mode = \"min\" }, ...]");
  std::vector<Objective> out;
  std::set<std::string> seen;
  for (const auto& el : *arr) {
    const auto* t = el.as_table();
    const auto metric = t ? t->get_as<std::string>("metric") : nullptr;
    if (!metric || t->size() > 2 || (t->size() == 2 && !t->get("mode")))
      throw InputError(source_of(el, file), key,
                       "each objective is { metric = \"...\", mode = \"min\" or \"max\" }");
    Objective o{metric->get(), Goal::kMin};
    check(o.metric, source_of(el, file));
    if (const auto* mode = t->get("mode")) {
      const auto goal =
          mode->is_string() ? enum_from<Goal>(mode->as_string()->get()) : std::nullopt;
      if (!goal) throw InputError(source_of(*mode, file), key, "mode is \"min\" or \"max\"");
      o.mode = *goal;
    }
    if (!seen.insert(o.metric).second)
      throw InputError(source_of(el, file), key, "\"" + o.metric + "\" is an objective twice");
    out.push_back(o);
  }
  return out;
}

double Constraint::violation(double value) const {
  if (!std::isfinite(value)) return std::numeric_limits<double>::max();
  const double over = (op == Op::kLe || op == Op::kLt) ? value - bound : bound - value;
  const bool strict = op == Op::kLt || op == Op::kGt;
  if (over > 0) return over;
  return strict && over == 0 ? std::numeric_limits<double>::min() : 0;
}

Constraint parse_constraint(const std::string& text, const Source& where, const std::string& key) {
  static const std::regex form(R"(\s*([A-Za-z_][A-Za-z0-9_]*)\s*(<=|>=|<|>)\s*(\S+)\s*)");
  std::smatch m;
  Constraint c;
  c.text = text;
  if (!std::regex_match(text, m, form))
    throw InputError(where, key, "\"" + text + "\" is not \"metric <= number\" (or <, >=, >)");
  c.metric = m[1];
  const std::string op = m[2], number = m[3];
  c.op = op == "<="   ? Constraint::Op::kLe
         : op == "<"  ? Constraint::Op::kLt
         : op == ">=" ? Constraint::Op::kGe
                      : Constraint::Op::kGt;
  char* end = nullptr;
  c.bound = std::strtod(number.c_str(), &end);
  if (end == number.c_str() || *end != '\0' || !std::isfinite(c.bound))
    throw InputError(where, key, "\"" + number + "\" in \"" + text + "\" is not a number");
  check_metric(c.metric, where, key);
  return c;
}

void read_search(const toml::node& node, SweepSpec& spec, const std::string& file,
                 const SpaceReader& read_space) {
  const Source at = source_of(node, file);
  if (!node.is_table()) throw InputError(at, "sweep.search", "expected a table");
  const toml::table& t = *node.as_table();
  for (const auto& [k, v] : t) read_entry(std::string(k.str()), v, spec, file, read_space);
  check_pbt(t, spec, file);
  for (const auto& k : all_keys())
    if (k.scope == Scope::Search && k.required && !node.as_table()->get(k.path.substr(13)))
      throw InputError(at, k.path, "required key is missing");
  if (spec.space.empty())
    throw InputError(
        at, "sweep.search.space",
        "required: the keys to search, e.g. \"train.lr\" = { log_uniform = [1e-4, 1e-2] }");
  if (spec.objectives.empty())
    throw InputError(at, "sweep.search.objectives",
                     "required: e.g. [{ metric = \"recon_mse\", mode = \"min\" }]");
  check_objectives(*t.get("objectives"), spec, file);
  if (spec.repeats != 1)
    throw InputError(spec.source_of("repeats"), "repeats",
                     "must be 1 with [sweep.search]: a search spends its budget on new points");
}

}  // namespace sweeps
