#include "runner/record/proposer.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <sstream>

#include "models/family.h"
#include "search/pareto.h"
#include "util/hash.h"

namespace runner {
namespace {

constexpr int kAttempts = 20;  // draws for a point the sweep has not trained, before giving up

using search::Observation;
using Kind = sweeps::Distribution::Kind;

}  // namespace

search::Space space_of(const sweeps::SweepSpec& spec) {
  search::Space space;
  for (const auto& d : spec.space) {
    search::Param p;
    p.name = d.path;
    p.kind = d.kind == Kind::Uniform      ? search::Param::Kind::kUniform
             : d.kind == Kind::LogUniform ? search::Param::Kind::kLogUniform
             : d.kind == Kind::IntUniform ? search::Param::Kind::kInt
                                          : search::Param::Kind::kChoice;
    p.low = d.low, p.high = d.high;
    p.choices = static_cast<int>(d.choices.size());
    space.push_back(p);
  }
  return space;
}

sweeps::Params params_at(const sweeps::SweepSpec& spec, const sweeps::Params& part,
                         const search::Point& point) {
  sweeps::Params p = part;
  for (std::size_t i = 0; i < spec.space.size(); ++i) {
    const auto& d = spec.space[i];
    if (d.kind == Kind::Choice)
      p[d.path] = d.choices.at(static_cast<std::size_t>(point[i]));
    else if (d.kind == Kind::IntUniform)
      p[d.path] = static_cast<std::int64_t>(point[i]);
    else
      p[d.path] = point[i];
  }
  return p;
}

std::string point_text(const search::Point& point) {
  std::string out = "[";
  for (std::size_t i = 0; i < point.size(); ++i)
    out += (i ? "," : "") + util::format_double(point[i]);
  return out + "]";
}

search::Point point_from_text(const std::string& text) {
  search::Point point;
  const char* s = text.c_str() + (text.empty() ? 0 : 1);
  while (*s && *s != ']') {
    char* end = nullptr;
    point.push_back(std::strtod(s, &end));
    if (end == s) break;
    s = *end == ',' ? end + 1 : end;
  }
  return point;
}

namespace {

std::optional<double> json_number(const std::string& text) {
  if (text.empty() || text == "null") return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || *end != '\0') return std::nullopt;
  return v;
}

// Whether two JSON texts hold the same value (numbers compared as numbers).
bool same_json(const std::string& a, const std::string& b) {
  const auto x = json_number(a), y = json_number(b);
  return x && y ? *x == *y : a == b;
}

}  // namespace

std::pair<std::string, std::string> warm_source(const sweeps::SweepSpec& spec,
                                                const std::string& entry,
                                                const std::string& this_db) {
  const auto colon = entry.rfind(':');
  if (colon == std::string::npos) return {this_db, entry};
  std::string file = entry.substr(0, colon);
  if (!file.empty() && file[0] != '/') file = spec.dataset_dir + "/" + file;
  return {file, entry.substr(colon + 1)};
}

std::optional<search::Point> point_of(const sweeps::SweepSpec& spec,
                                      const std::vector<std::string>& json_values) {
  search::Point x;
  for (std::size_t i = 0; i < spec.space.size(); ++i) {
    const auto& d = spec.space[i];
    if (d.kind == Kind::Choice) {
      std::size_t k = 0;
      while (k < d.choices.size() && !same_json(json_values[i], sweeps::to_json(d.choices[k]))) ++k;
      if (k == d.choices.size()) return std::nullopt;
      x.push_back(static_cast<double>(k));
      continue;
    }
    const auto v = json_number(json_values[i]);
    if (!v || *v < d.low || *v > d.high) return std::nullopt;
    if (d.kind == Kind::IntUniform && *v != std::round(*v)) return std::nullopt;
    x.push_back(*v);
  }
  return x;
}

std::vector<std::string> search_metrics(const sweeps::SweepSpec& spec) {
  std::vector<std::string> names;
  for (const auto& o : spec.objectives) names.push_back(o.metric);
  for (const auto& c : spec.constraints) names.push_back(c.metric);
  return names;
}

std::optional<Observation> observation_of(const sweeps::SweepSpec& spec,
                                          const results::SearchRecord& r) {
  if (r.status == "failed") return std::nullopt;  // nothing learnt; its point stays taken
  Observation o;
  o.x = point_from_text(r.proposal.point);
  const bool pruned = r.status == "pruned";
  if (!pruned && r.status != "completed") {
    o.state = Observation::State::kRunning;
    return o;
  }
  o.state = pruned ? Observation::State::kPruned : Observation::State::kComplete;
  o.step = r.epochs;
  const std::size_t n = spec.objectives.size();
  for (std::size_t k = 0; k < n; ++k) {
    const auto& v = r.values[k];
    if (!v) o.violation = std::numeric_limits<double>::max();  // the trial lacks the metric
    const double x = v.value_or(0);
    o.values.push_back(spec.objectives[k].mode == sweeps::Goal::kMax ? -x : x);
  }
  for (std::size_t k = 0; k < spec.constraints.size(); ++k) {
    const auto& v = r.values[n + k];
    const double off = v ? spec.constraints[k].violation(*v) : std::numeric_limits<double>::max();
    o.violation = std::min(std::numeric_limits<double>::max(), o.violation + off);
  }
  return o;
}

Proposer::Proposer(results::Store& store, Plan& plan)
    : store_(store),
      plan_(plan),
      space_(space_of(plan.spec)),
      metrics_(search_metrics(plan.spec)),
      warm_(plan.parts.size()) {
  options_.kind = plan.spec.search.sampler == sweeps::SamplerKind::kTpe
                      ? search::SamplerOptions::Kind::kTpe
                      : search::SamplerOptions::Kind::kRandom;
  options_.startup = static_cast<int>(plan.spec.search.startup);
}

void Proposer::add_recorded() {
  results::SearchRow row{plan_.spec.name,
                         sweeps::name_of(plan_.spec.search.sampler),
                         plan_.spec.search.trials,
                         static_cast<std::int64_t>(plan_.parts.size()),
                         {},
                         {},
                         {}};
  for (const auto& d : plan_.spec.space) row.space.push_back(d.path);
  for (const auto& o : plan_.spec.objectives)
    row.objectives.push_back({o.metric, o.mode == sweeps::Goal::kMax});
  for (const auto& c : plan_.spec.constraints) row.constraints.push_back(c.text);
  results::record_search(store_.db(), row);
  load_warm();
  std::map<std::string, std::size_t> part_index;
  for (std::size_t p = 0; p < plan_.parts.size(); ++p) part_index[plan_.parts[p].config_hash] = p;
  for (const auto& rec : results::proposals_of(store_.db(), plan_.spec.name)) {
    const auto it = part_index.find(rec.part);
    if (it == part_index.end()) continue;  // a part the file no longer has
    const auto& part = plan_.parts[it->second];
    auto trial = sweeps::trial_of(
        plan_.spec, params_at(plan_.spec, part.params, point_from_text(rec.point)), 0);
    if (trial.id != rec.trial_id) continue;  // recorded under other settings of the sweep
    part_of_trial_[trial.id] = it->second;
    add_trial(plan_, std::move(trial));
  }
}

bool Proposer::may_propose() {
  for (std::size_t p = 0; p < plan_.parts.size(); ++p)
    if (!exhausted_.count(p) &&
        results::proposal_count(store_.db(), plan_.spec.name, plan_.parts[p].config_hash) <
            plan_.spec.search.trials)
      return true;
  return false;
}

std::int64_t Proposer::left() {
  std::int64_t n = 0;
  for (std::size_t p = 0; p < plan_.parts.size(); ++p)
    if (!exhausted_.count(p))
      n += std::max<std::int64_t>(
          0, plan_.spec.search.trials -
                 results::proposal_count(store_.db(), plan_.spec.name, plan_.parts[p].config_hash));
  return n;
}

std::vector<Observation> Proposer::history(std::size_t part) {
  std::vector<Observation> out = warm_[part];  // first: recorded before any proposal
  for (const auto& r : results::search_records(store_.db(), plan_.spec.name,
                                               plan_.parts[part].config_hash, metrics_))
    if (auto o = observation_of(plan_.spec, r)) out.push_back(std::move(*o));
  return out;
}

void Proposer::load_warm() {
  const auto& spec = plan_.spec;
  warm_.assign(plan_.parts.size(), {});
  // The keys that tell parts apart: those of grid axes and cases.
  std::vector<std::string> keys, fixed;
  for (const auto& d : spec.space) keys.push_back(d.path);
  for (const auto& a : spec.grid) fixed.push_back(a.path);
  for (const auto& c : spec.cases)
    for (const auto& [k, v] : c)
      if (std::find(fixed.begin(), fixed.end(), k) == fixed.end()) fixed.push_back(k);
  keys.insert(keys.end(), fixed.begin(), fixed.end());
  for (const auto& entry : spec.warm_start) {
    const auto [file, sweep] = warm_source(spec, entry, store_.db().path());
    results::Database other(file, results::Database::Mode::ReadOnly);
    const auto records = results::warm_records(other, sweep, keys, metrics_);
    std::size_t inside = 0;
    for (const auto& w : records) {
      const auto x = point_of(spec, w.keys);
      if (!x) continue;  // outside the space
      ++inside;
      for (std::size_t p = 0; p < plan_.parts.size(); ++p) {
        bool same = true;
        for (std::size_t k = 0; k < fixed.size() && same; ++k)
          same = same_json(w.keys[spec.space.size() + k],
                           sweeps::to_json(plan_.parts[p].params.at(fixed[k])));
        if (!same) continue;
        results::SearchRecord r{{"", "", 0, point_text(*x), ""}, w.status, w.epochs, w.values};
        if (auto o = observation_of(spec, r)) warm_[p].push_back(std::move(*o));
      }
    }
    std::cout << "warm start from " << entry << ": " << inside << " of its " << records.size()
              << " finished trial(s) lie in the space" << std::endl;
  }
}

std::optional<std::size_t> Proposer::next() {
  // The part with the fewest proposals first, so that every part's search goes at one pace.
  std::optional<std::size_t> best;
  std::int64_t fewest = plan_.spec.search.trials;
  for (std::size_t p = 0; p < plan_.parts.size(); ++p) {
    if (exhausted_.count(p)) continue;
    const auto n =
        results::proposal_count(store_.db(), plan_.spec.name, plan_.parts[p].config_hash);
    if (n < fewest) fewest = n, best = p;
  }
  if (!best) return std::nullopt;
  // Read once: the draws below differ only in their seed.
  const auto observed = history(*best);
  std::size_t index = 0;
  for (int attempt = 0; attempt < kAttempts; ++attempt)
    if (try_point(*best, fewest, attempt, observed, index)) return index;
  exhausted_.insert(*best);  // every draw was a point trained already: the space is exhausted
  return next();
}

bool Proposer::try_point(std::size_t p, std::int64_t number, int attempt,
                         const std::vector<Observation>& observed, std::size_t& index) {
  const auto& part = plan_.parts[p];
  const std::uint64_t seed =
      util::stable_hash64("search/" + std::to_string(plan_.spec.seed) + "/" + part.config_hash +
                          "/" + std::to_string(number) + "/" + std::to_string(attempt));
  const search::Point point = search::propose(space_, observed, options_, seed);
  auto trial = sweeps::trial_of(plan_.spec, params_at(plan_.spec, part.params, point), 0);
  const results::Proposal proposal{trial.id, part.config_hash, number, point_text(point),
                                   search::learns(observed, options_) ? "tpe" : "random"};
  const results::TrialRow row{
      trial.id, trial.config_json, trial.config_hash,
      0,        trial.seed,        models::series_epochs(sweeps::trial_config_from(trial.params))};
  if (!results::add_proposal(store_.db(), plan_.spec.name, proposal, row)) return false;
  part_of_trial_[trial.id] = p;
  index = add_trial(plan_, std::move(trial));
  return true;
}

void Proposer::finished(const std::string& trial_id) {
  const auto it = part_of_trial_.find(trial_id);
  if (it == part_of_trial_.end()) return;
  const std::string& part = plan_.parts[it->second].config_hash;
  std::vector<search::Objectives> points;
  std::vector<std::string> ids;
  for (const auto& r : results::search_records(store_.db(), plan_.spec.name, part, metrics_)) {
    const auto o = observation_of(plan_.spec, r);
    if (!o || o->state != Observation::State::kComplete || o->violation > 0) continue;
    points.push_back(o->values);
    ids.push_back(r.proposal.trial_id);
  }
  const auto rank = search::front_ranks(points, 1);
  std::vector<std::string> front;
  for (std::size_t i = 0; i < ids.size(); ++i)
    if (rank[i] == 0) front.push_back(ids[i]);
  results::set_pareto_front(store_.db(), plan_.spec.name, part, front);
}

}  // namespace runner
