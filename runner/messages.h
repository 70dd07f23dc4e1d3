#pragma once
// The messages between rank 0 and the ranks that train, as Boost.Serialization binary archives.
// All ranks run the same binary on the same architecture, so a binary archive is safe and small.
#include <boost/serialization/string.hpp>
#include <boost/serialization/utility.hpp>
#include <boost/serialization/vector.hpp>
#include <string>

#include "runner/archive.h"
#include "runner/training.h"

namespace runner {

enum Tag : int {
  kTagAssign = 1,  // rank 0 -> worker: Assignment
  kTagStop = 2,    // rank 0 -> worker: no more work
  kTagEpoch = 3,   // worker -> rank 0: EpochReport
  kTagResult = 4,  // worker -> rank 0: TrialResult
  // rank 0 -> group root: stop the trial in flight after its current step, with a checkpoint.
  kTagInterrupt = 5,
};

struct EpochReport {
  std::string trial_id;
  std::int64_t epoch = 0;
  Metrics values;
  std::string checkpoint;  // encoded runner::Checkpoint at the end of this epoch; may be empty
};

enum class Outcome : int { kCompleted, kFailed, kInterrupted };

struct TrialResult {
  std::string trial_id;
  Outcome outcome = Outcome::kFailed;
  std::string error;       // when failed: what happened, and on which rank and host
  std::string checkpoint;  // when interrupted: where the trial stopped
  Metrics final_metrics;
  Artifacts artifacts;  // PNG pictures, written beside the database by rank 0
};

template <class A>
void serialize(A& ar, EpochReport& m, unsigned) {
  ar& m.trial_id& m.epoch& m.values& m.checkpoint;
}
template <class A>
void serialize(A& ar, TrialResult& m, unsigned) {
  ar& m.trial_id& m.outcome& m.error& m.checkpoint& m.final_metrics& m.artifacts;
}
template <class A>
void serialize(A& ar, Assignment& m, unsigned) {
  ar& m.trial_id& m.seed& m.config& m.threads& m.collective_timeout_s& m.checkpoint;
}

}  // namespace runner

namespace sweeps {
template <class A>
void serialize(A& ar, DataConfig& c, unsigned) {
  ar& c.dataset& c.path& c.train_limit& c.test_limit;
}
template <class A>
void serialize(A& ar, ModelConfig& c, unsigned) {
  ar& c.kind& c.hidden& c.latent& c.activation& c.channels& c.encoder& c.shift_layers;
}
template <class A>
void serialize(A& ar, TrainConfig& c, unsigned) {
  ar& c.epochs& c.batch_size& c.lr& c.device;
}
template <class A>
void serialize(A& ar, LossConfig& c, unsigned) {
  ar& c.beta& c.lambda;
}
template <class A>
void serialize(A& ar, KlConfig& c, unsigned) {
  ar& c.schedule& c.cycles& c.ratio& c.shape;
}
template <class A>
void serialize(A& ar, CorruptionConfig& c, unsigned) {
  ar& c.kind& c.level& c.threshold_min& c.threshold_max& c.mask_input;
}
template <class A>
void serialize(A& ar, TrialConfig& c, unsigned) {
  ar& c.data& c.model& c.train& c.loss& c.kl& c.corruption;
}
}  // namespace sweeps
