#pragma once
// Population-based training's record (runner/record/pbt.h): each decision on a member, written in
// the transaction of the epoch report that led to it, so a kill loses none and a rerun repeats
// none: a member resumed at a decision's epoch takes that decision again, from its row.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "results/sqlite.h"
#include "util/metrics.h"

namespace results {

struct PbtDecision {
  std::string trial_id;
  std::int64_t epoch = 0;
  std::optional<double> value;  // the series value it was judged by
  std::string source;           // whose state it took; "" when it kept its own
  std::int64_t source_epoch = 0;
  util::Metrics keys_before, keys_after;  // the changing keys, in the space's order
  std::string state;                      // the source's encoded checkpoint ("" when kept)
};

void add_pbt_decision(Database& db, const PbtDecision& d);
// The decision on `trial_id` after `epoch`, with its state; none if there was none.
std::optional<PbtDecision> pbt_decision(Database& db, const std::string& trial_id,
                                        std::int64_t epoch);
// The keys `trial_id` trained with in the epoch after `epoch`: the latest decision's at or
// before it (keys_after); none when no decision was taken by then.
std::optional<util::Metrics> pbt_keys_after(Database& db, const std::string& trial_id,
                                            std::int64_t epoch);
// Every decision of a sweep's members by member and epoch, without their state (the report's
// lineage, the export's schedules).
std::vector<PbtDecision> pbt_decisions(Database& db, const std::string& sweep);

// Where a member stands: its series `metric` at its latest epoch (none when not finite or not
// yet reported), its status and its fused array.
struct Standing {
  std::string trial_id;
  std::int64_t epoch = 0;
  std::optional<double> value;
  std::string status, array_id;
};
// The members of `trial_id`'s population: the trials proposed for its part of the sweep.
std::vector<Standing> population_of(Database& db, const std::string& trial_id,
                                    const std::string& metric);

// The values of numeric config keys ("train.lr", ...) of a trial as its row holds them.
util::Metrics config_keys(Database& db, const std::string& trial_id,
                          const std::vector<std::string>& paths);

// {"k": v, ...} (a JSON object of numbers).
std::string keys_json(const util::Metrics& keys);

// The completed member of `sweep` whose series `metric` ended best (lowest, or highest with
// `maximize`); "" when none has completed.
std::string best_member(Database& db, const std::string& sweep, const std::string& metric,
                        bool maximize);
// The training that led to a member's weights, oldest first: its own epochs since its latest
// exploit, after those of the member it took them from up to the state it took, and so on back;
// with the values of `keys` (series the members report each epoch) at each of those epochs.
struct Lineage {
  struct Segment {
    std::string trial_id;
    std::int64_t from = 1, to = 0;  // the member's own epochs in it
  };
  std::vector<Segment> segments;
  std::vector<util::Metrics> keys;  // one per epoch of the lineage
};
Lineage lineage_of(Database& db, const std::string& trial_id, const std::vector<std::string>& keys);

}  // namespace results
