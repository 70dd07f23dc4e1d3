#pragma once
// [sweep.search] on rank 0: proposes the next trial when a group is free, from what the store
// holds of the sweep (every run's trials, finished or still going), and keeps the recorded
// Pareto front of each part up to date as trials finish.
//
// Proposal n of a part is drawn with a seed of its own (the sweep's seed, the part and n), so
// given the results recorded before it, it is always the same point. Which results those are
// depends on timing when trials run in parallel, as in every parallel search.
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "results/proposals.h"
#include "results/store.h"
#include "runner/plan.h"
#include "search/sampler.h"

namespace runner {

class Proposer {
 public:
  Proposer(results::Store& store, Plan& plan);

  // Records the search (results::SearchRow) and adds the proposals the store already holds to the
  // plan (before a run prepares the store): those still to train are trained before anything new is
  // proposed.
  void add_recorded();
  // Whether some part has budget left, as far as this run knows.
  bool may_propose();
  // Proposes a trial, adds it to the plan and records it (trial and proposal) in the store's
  // open transaction; its index in the plan, or none when every part's budget is spent or
  // holds no new point.
  std::optional<std::size_t> next();
  // Trial `trial_id` has ended: its part's front is recorded again.
  void finished(const std::string& trial_id);
  // Budget left over every part (for the progress count).
  std::int64_t left();

 private:
  std::vector<search::Observation> history(std::size_t part);
  // [sweep.search] warm_start: the finished trials of the sweeps named that lie in the space,
  // each with the part it belongs to (the one whose grid and case keys it shares).
  void load_warm();
  // Proposal `number` of part `p` from what it has `observed`, recorded; false when its point is
  // a trial the sweep has.
  bool try_point(std::size_t p, std::int64_t number, int attempt,
                 const std::vector<search::Observation>& observed, std::size_t& index);

  results::Store& store_;
  Plan& plan_;
  search::Space space_;
  search::SamplerOptions options_;
  std::vector<std::string> metrics_;                    // the objectives', then the constraints'
  std::set<std::size_t> exhausted_;                     // parts where no new point was found
  std::map<std::string, std::size_t> part_of_trial_;    // proposals this run knows
  std::vector<std::vector<search::Observation>> warm_;  // per part
};

// The sampler's view of a sweep, shared with the reports: the space of its search, a point as the
// trial's keys, and a record as an observation (objectives to minimise; constraints as violation).
search::Space space_of(const sweeps::SweepSpec& spec);
sweeps::Params params_at(const sweeps::SweepSpec& spec, const sweeps::Params& part,
                         const search::Point& point);
std::string point_text(const search::Point& point);
search::Point point_from_text(const std::string& text);
std::optional<search::Observation> observation_of(const sweeps::SweepSpec& spec,
                                                  const results::SearchRecord& record);
// A warm_start entry's database and sweep: "NAME" (this database) or "FILE.db:NAME" (FILE
// relative to the sweep file's folder).
std::pair<std::string, std::string> warm_source(const sweeps::SweepSpec& spec,
                                                const std::string& entry,
                                                const std::string& this_db);
// The point of a trial whose searched keys have these JSON texts; none when one lies outside.
std::optional<search::Point> point_of(const sweeps::SweepSpec& spec,
                                      const std::vector<std::string>& json_values);
// The metrics a search reads: its objectives', then its constraints'.
std::vector<std::string> search_metrics(const sweeps::SweepSpec& spec);

}  // namespace runner
