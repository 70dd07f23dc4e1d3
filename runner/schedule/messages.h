#pragma once
// The messages between rank 0 and the ranks that train, as Boost.Serialization binary archives.
// All ranks run the same binary on the same architecture, so a binary archive is safe and small.
#include <boost/serialization/string.hpp>
#include <boost/serialization/utility.hpp>
#include <boost/serialization/vector.hpp>
#include <string>

#include "runner/archive.h"
#include "runner/trial.h"
#include "sweeps/schema.h"

namespace runner {

enum Tag : int {
  kTagAssign = 1,  // rank 0 -> worker: Assignment
  kTagStop = 2,    // rank 0 -> worker: no more work
  kTagEpoch = 3,   // worker -> rank 0: EpochReport
  kTagResult = 4,  // worker -> rank 0: TrialResult
  // rank 0 -> group root: stop the trial in flight after its current step, with a checkpoint.
  // Payload: that trial's id (one another run took over), or empty for whichever is in flight.
  kTagInterrupt = 5,
  kTagHeartbeat = 6,  // group root -> rank 0: still training (no payload)
  kTagVerdict = 7,    // rank 0 -> group root: Verdict on an epoch it reported (early stopping)
};

// Whether a trial goes on after an epoch, as rank 0 decided (runner/record/early_stop.h), and,
// for a member of a population, what it takes and changes (runner/record/pbt.h).
struct Verdict {
  std::string trial_id;
  std::int64_t epoch = 0;
  bool goes_on = true;
  Exploit exploit;
};

struct EpochReport {
  std::string trial_id;
  std::int64_t epoch = 0;
  Metrics values;
  std::string checkpoint;  // encoded runner::Checkpoint at the end of this epoch; may be empty
};

enum class Outcome : int { kCompleted, kFailed, kInterrupted, kPruned };

struct TrialResult {
  std::string trial_id;
  Outcome outcome = Outcome::kFailed;
  std::string error;       // when failed: what happened, and on which rank and host
  std::string checkpoint;  // when interrupted: where the trial stopped
  Metrics final_metrics;
  Artifacts artifacts;  // PNG pictures, written beside the database by rank 0
  // Seconds the group waited for this trial since it sent its previous result; negative for a
  // group's first trial. What rank 0's dispatch latency looks like from the ranks that train.
  double dispatch_wait_s = -1;
};

template <class A>
void serialize(A& ar, EpochReport& m, unsigned) {
  ar& m.trial_id& m.epoch& m.values& m.checkpoint;
}
template <class A>
void serialize(A& ar, Verdict& m, unsigned) {
  ar& m.trial_id& m.epoch& m.goes_on& m.exploit;
}
template <class A>
void serialize(A& ar, TrialResult& m, unsigned) {
  ar& m.trial_id& m.outcome& m.error& m.checkpoint& m.final_metrics& m.artifacts& m.dispatch_wait_s;
}
template <class A>
void serialize(A& ar, Assignment& m, unsigned) {
  ar& m.trial_id& m.seed& m.config& m.threads& m.collective_timeout_s& m.ranks_per_gpu& m
      .heartbeat_s& m.early_stop& m.stopped_early& m.checkpoint& m.pbt_keys& m.pbt_interval& m
      .resume_exploit;
}

}  // namespace runner

namespace sweeps {

// A trial's config travels as its keys, in the key table's order (sweeps/schema.cpp), so a key
// added to the table travels with no change here; the resolved dataset path rides along.
template <class A>
void serialize_value(A& ar, Value& v, Type type) {
  if constexpr (A::is_saving::value) {
    std::visit([&](auto& x) { ar << x; }, v);
  } else {
    auto load = [&](auto x) {
      ar >> x;
      v = std::move(x);
    };
    switch (type) {
      case Type::Bool:
        return load(bool{});
      case Type::Int:
        return load(std::int64_t{});
      case Type::Float:
        return load(double{});
      case Type::String:
        return load(std::string{});
      case Type::IntList:
        return load(IntList{});
    }
  }
}

template <class A>
void serialize(A& ar, TrialConfig& c, unsigned) {
  ar& c.data.path;
  ar& c.model.file;
  ar& c.model.file_hash;
  for (const auto& k : all_keys()) {
    if (k.scope != Scope::Trial) continue;
    Value v = k.get(c);
    serialize_value(ar, v, k.type);
    if constexpr (!A::is_saving::value) k.set(c, v);
  }
}

}  // namespace sweeps
