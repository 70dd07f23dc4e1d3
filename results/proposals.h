#pragma once
// [sweep.search]'s record: the trials its sampler proposed. A proposal is added in the same
// transaction as its trial row and the claim that trains it (rank 0 holds one open: runner::Sink),
// so each part's budget is never exceeded and no proposal is trained twice across kills, reruns
// and runs that share the sweep.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "results/sqlite.h"
#include "results/store.h"

namespace results {

// A sweep's search, as `runner status`, the report and the Optuna export read it.
struct SearchObjective {
  std::string metric;
  bool maximize = false;
};
struct SearchRow {
  std::string sweep, sampler;
  std::int64_t trials = 0, parts = 0;
  std::vector<SearchObjective> objectives;
  std::vector<std::string> constraints;
  std::vector<std::string> space;  // the keys searched, in the order of a proposal's point
};
void record_search(Database& db, const SearchRow& row);
std::optional<SearchRow> search_of(Database& db, const std::string& sweep);

struct Proposal {
  std::string trial_id;
  std::string part;         // the fixed part it searched (its config hash: sweeps::expand)
  std::int64_t number = 0;  // 0, 1, ...: its place in the part's budget
  std::string point;        // the value of each searched key, in the space's order (JSON array)
  std::string sampler;      // what proposed it: "random" or "tpe"
};

std::int64_t proposal_count(Database& db, const std::string& sweep, const std::string& part);
// Adds the trial (pending) and its proposal; false, writing nothing, when the sweep has a trial
// of that config already.
bool add_proposal(Database& db, const std::string& sweep, const Proposal& p, const TrialRow& row);
// Every proposal of `sweep`, by part and number.
std::vector<Proposal> proposals_of(Database& db, const std::string& sweep);

// A proposal as its sampler learns from it: where the trial stands and the final metrics named
// (none where it lacks one).
struct SearchRecord {
  Proposal proposal;
  std::string status;
  std::int64_t epochs = 0;  // its series' length
  std::vector<std::optional<double>> values;
};
// The proposals of one part, by number.
std::vector<SearchRecord> search_records(Database& db, const std::string& sweep,
                                         const std::string& part,
                                         const std::vector<std::string>& metrics);

// The trials on the recorded fronts of `sweep` (every part's), by part and id.
std::vector<std::string> pareto_front(Database& db, const std::string& sweep);
// A finished trial of another sweep, to start a search warm: its status, its series' length, the
// JSON text of each key asked for ("" where its config lacks the key) and the final metrics named.
struct WarmRecord {
  std::string status;
  std::int64_t epochs = 0;
  std::vector<std::string> keys;
  std::vector<std::optional<double>> values;
};
std::vector<WarmRecord> warm_records(Database& db, const std::string& sweep,
                                     const std::vector<std::string>& keys,
                                     const std::vector<std::string>& metrics);

// Replaces the recorded front of `part` with `trial_ids`.
void set_pareto_front(Database& db, const std::string& sweep, const std::string& part,
                      const std::vector<std::string>& trial_ids);

}  // namespace results
