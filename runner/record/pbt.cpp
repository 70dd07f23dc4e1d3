#include "runner/record/pbt.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "runner/checkpoint.h"
#include "search/sampler.h"
#include "sweeps/schema.h"
#include "util/hash.h"

namespace runner {
namespace {

// Each decision draws from a generator of its own (the sweep's seed, the member, the epoch): the
// same standings give the same decision, whatever else the run did.
std::mt19937_64 decision_rng(std::int64_t sweep_seed, const std::string& trial_id,
                             std::int64_t epoch) {
  return search::rng_for(util::stable_hash64(std::to_string(sweep_seed) + "/pbt/" + trial_id + "/" +
                                             std::to_string(epoch)));
}

}  // namespace

std::optional<std::size_t> choose_source(const std::vector<results::Standing>& all,
                                         std::size_t target, double quantile,
                                         const std::function<bool(std::size_t)>& can_source,
                                         std::mt19937_64& rng) {
  std::vector<std::size_t> ranked;
  for (std::size_t i = 0; i < all.size(); ++i)
    if (all[i].value) ranked.push_back(i);
  std::sort(ranked.begin(), ranked.end(), [&](std::size_t a, std::size_t b) {
    if (*all[a].value != *all[b].value) return *all[a].value < *all[b].value;
    return all[a].trial_id < all[b].trial_id;
  });
  const std::size_t n = ranked.size();
  const auto cut = static_cast<std::size_t>(std::ceil(quantile * static_cast<double>(n)));
  const auto at = std::find(ranked.begin(), ranked.end(), target);
  // A member with no value yet (or not finite) stands below all others.
  const std::size_t place = at == ranked.end() ? n : static_cast<std::size_t>(at - ranked.begin());
  if (n < 2 || cut == 0 || place + cut < n) return std::nullopt;
  std::vector<std::size_t> top;
  for (std::size_t r = 0; r < cut && r < n; ++r)
    if (ranked[r] != target && can_source(ranked[r])) top.push_back(ranked[r]);
  if (top.empty()) return std::nullopt;
  return top[static_cast<std::size_t>(rng() % top.size())];
}

util::Metrics explore(const util::Metrics& keys, const std::vector<sweeps::Distribution>& space,
                      double perturb, double resample, std::mt19937_64& rng) {
  util::Metrics out;
  for (const auto& [key, value] : keys) {
    const auto d =
        std::find_if(space.begin(), space.end(), [&](const auto& x) { return x.path == key; });
    double v = value;
    if (d == space.end()) {
      out.emplace_back(key, v);
      continue;
    }
    if (sweeps::unit(rng) < resample)
      v = std::get<double>(sweeps::draw(*d, rng));
    else
      v *= sweeps::unit(rng) < 0.5 ? 1 - perturb : 1 + perturb;
    out.emplace_back(key, std::clamp(v, d->low, d->high));
  }
  return out;
}

Population::Population(results::Store& store, const Plan& plan, LatestCheckpoint latest)
    : store_(store), plan_(plan), latest_(std::move(latest)) {
  metric_ = plan.spec.objectives.at(0).metric;
  maximize_ = plan.spec.objectives.at(0).mode == sweeps::Goal::kMax;
}

void Population::reported(const std::string& trial_id, std::int64_t epoch,
                          const std::string& checkpoint) {
  if (!checkpoint.empty()) reported_[trial_id] = {epoch, checkpoint};
}

util::Metrics Population::keys_after(const std::string& trial_id, std::int64_t epoch) const {
  if (auto keys = results::pbt_keys_after(store_.db(), trial_id, epoch)) return *keys;
  // Its config's, from the store: another run sharing the population may have proposed it.
  std::vector<std::string> paths;
  for (const auto& d : plan_.spec.space) paths.push_back(d.path);
  return results::config_keys(store_.db(), trial_id, paths);
}

std::optional<std::pair<std::string, std::int64_t>> Population::state_of(
    const std::string& trial_id) const {
  if (auto it = reported_.find(trial_id); it != reported_.end())
    return std::make_pair(it->second.second, it->second.first);
  std::string bytes = latest_(trial_id);
  if (bytes.empty()) return std::nullopt;
  const Checkpoint c = decode_checkpoint(bytes, "trial " + trial_id);
  if (c.next_sample != 0) return std::nullopt;  // stopped inside an epoch: no epoch's state
  return std::make_pair(std::move(bytes), c.series_epoch);
}

Exploit Population::decide(const std::string& trial_id, std::int64_t epoch) {
  auto& db = store_.db();
  if (auto d = results::pbt_decision(db, trial_id, epoch))
    return {d->source, d->source_epoch, std::move(d->state), d->keys_after};
  auto all = results::population_of(db, trial_id, metric_);
  const auto me =
      std::find_if(all.begin(), all.end(), [&](const auto& s) { return s.trial_id == trial_id; });
  results::PbtDecision d;
  d.trial_id = trial_id;
  d.epoch = epoch;
  d.value = me != all.end() ? me->value : std::nullopt;
  d.keys_before = d.keys_after = keys_after(trial_id, epoch - 1);
  // Smaller is better from here on; a value that is not finite stands last.
  for (auto& s : all)
    if (s.value)
      s.value =
          std::isfinite(*s.value) ? std::optional(maximize_ ? -*s.value : *s.value) : std::nullopt;
  Exploit out;
  if (me != all.end()) {
    std::map<std::size_t, std::pair<std::string, std::int64_t>> states;
    auto rng = decision_rng(plan_.spec.seed, trial_id, epoch);
    const auto source = choose_source(
        all, static_cast<std::size_t>(me - all.begin()), plan_.spec.search.quantile,
        [&](std::size_t i) {
          auto s = state_of(all[i].trial_id);
          if (s) states[i] = std::move(*s);
          return s.has_value();
        },
        rng);
    if (source) {
      const auto& src = all[*source];
      auto& [bytes, at] = states.at(*source);
      d.source = src.trial_id;
      d.source_epoch = at;
      d.state = bytes;
      d.keys_after = explore(keys_after(src.trial_id, at - 1), plan_.spec.space,
                             plan_.spec.search.perturb, plan_.spec.search.resample, rng);
      out = {d.source, at, bytes, d.keys_after};
      // A source in the same fused array at this very epoch is copied there, in memory.
      if (!me->array_id.empty() && src.array_id == me->array_id && src.status == "running" &&
          at == epoch)
        out.checkpoint.clear();
    }
  }
  results::add_pbt_decision(db, d);
  return out;
}

void Population::resume(Assignment& a) const {
  if (a.pbt_interval <= 0 || a.checkpoint.empty()) return;
  const std::int64_t epoch = a.resume.series_epoch;
  // Inside an epoch, the decision before it was applied before the checkpoint was captured.
  const bool boundary = a.resume.next_sample == 0;
  for (const auto& [key, value] : keys_after(a.trial_id, boundary ? epoch - 1 : epoch))
    sweeps::find_key(key)->set(a.config, sweeps::Value{value});
  if (!boundary) return;
  if (auto d = results::pbt_decision(store_.db(), a.trial_id, epoch))
    a.resume_exploit = {d->source, d->source_epoch, std::move(d->state), d->keys_after};
}

}  // namespace runner
