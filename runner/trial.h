#pragma once
// What a trial is, for everything that hands trials out, trains them and records them: the
// assignment a rank gets, the hooks through which a trial talks to whoever runs it, and what it
// returns. No LibTorch: the scheduler and its tests build without it.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "sweeps/config.h"
#include "util/metrics.h"

namespace cluster {
class Backends;
}

namespace runner {

using util::Artifacts;
using util::Metrics;

// Where a trial goes on from: epoch 0, or a checkpoint's stage, epoch, sample and optimizer step.
// Members of one fused array must share it (runner/schedule/arrays.h).
struct ResumePoint {
  std::int64_t stage = 0, series_epoch = 0, next_sample = 0, adam_steps = 0;
  bool operator==(const ResumePoint& o) const {
    return stage == o.stage && series_epoch == o.series_epoch && next_sample == o.next_sample &&
           adam_steps == o.adam_steps;
  }
};

// Population-based training's decision on a member after one of its epochs (rank 0's:
// runner/record/pbt.h): exploit (take another member's weights and Adam state) and explore (new
// values of the changing keys, from the next epoch on). Its seed and data order go on as before.
struct Exploit {
  std::string source;  // the member whose state it takes; "" when it keeps its own
  std::int64_t source_epoch = 0;
  // The source's encoded checkpoint at source_epoch; "" when the source is a member of the same
  // fused array at that very epoch: then it is copied in memory, slice to slice.
  std::string checkpoint;
  Metrics keys;  // the changing keys' values from the next epoch on (none: unchanged)
};
// Whether a member of a population decides after series epoch `epoch` of `epochs`: every
// `interval` epochs, never after its last.
inline bool decides_at(std::int64_t interval, std::int64_t epoch, std::int64_t epochs) {
  return interval > 0 && epoch > 0 && epoch < epochs && epoch % interval == 0;
}
// Boost.Serialization's (runner/archive.h): it travels in rank 0's verdicts and within a group.
template <class A>
void serialize(A& ar, Exploit& m, unsigned) {
  ar& m.source& m.source_epoch& m.checkpoint& m.keys;
}

// What a rank needs to train a trial; sent from rank 0 to the rank that trains it.
struct Assignment {
  std::string trial_id;
  std::int64_t seed = 0;
  sweeps::TrialConfig config;
  std::int64_t threads = 0;  // LibTorch intra-op threads; 0: decide from the node
  double collective_timeout_s = 600;
  std::int64_t ranks_per_gpu = 1;  // ranks of separate trials that may share one GPU
  double heartbeat_s = 600;        // the group root says it lives at least 4 times in this span
  bool early_stop = false;     // after each epoch the group asks whether to go on (hooks.goes_on)
  bool stopped_early = false;  // already stopped early at the checkpoint's epoch: ends there
  // What trials it may fuse with: sweeps::array_shape, or "" when its model does not fuse
  // (models::unfusable_reason). Set once, by the plan.
  std::string shape;
  // On a CPU, the most members an array of its shape may hold (runner/schedule/arrays.h); 0: as
  // many as cluster.fuse allows. Set once, by the plan.
  std::int64_t fuse_limit = 0;
  std::string checkpoint;  // encoded runner::Checkpoint to go on from; empty: from epoch 0
  ResumePoint resume;      // where `checkpoint` stands, decoded once by whoever read it
  // Population-based training: the keys that change (reported as series each epoch) and the
  // epochs between decisions (0: not a member of a population). Resuming at a decision's epoch,
  // the decision taken there, which the checkpoint (captured before it) does not hold yet.
  std::vector<std::string> pbt_keys;
  std::int64_t pbt_interval = 0;
  Exploit resume_exploit;
};

// How a trial talks to whoever runs it.
struct TrialHooks {
  // After every epoch, on the group root: the epoch (counted over all stages), its series, and,
  // when `checkpoints` is set, the encoded checkpoint of the trial at the end of that epoch.
  std::function<void(std::int64_t epoch, const Metrics& values, const std::string& checkpoint)>
      on_epoch;
  bool checkpoints = false;
  // With Assignment::early_stop: asked on the group root after each epoch's report whether the
  // trial goes on (rank 0's early-stopping verdict); the group follows its root. Unset: it does.
  std::function<bool(std::int64_t epoch)> goes_on;
  // With Assignment::pbt_interval: asked on the group root after goes_on at each decision epoch,
  // rank 0's decision there; the group takes its root's.
  std::function<Exploit(std::int64_t epoch)> exploit;
  // Asked on every rank before every step: should the trial stop? If any rank of the group says
  // so, all stop together after that step and the trial returns interrupted, with a checkpoint.
  std::function<bool()> should_stop;
  // The run's data-parallel backends (cluster::Backends), kept across trials; without them the
  // trial makes its own.
  cluster::Backends* backends = nullptr;
  // Tests: steps between reads of the group's votes (loss, failure, stop); 0 chooses by device
  // (see kVoteReadSteps in runner/train/vote.h).
  std::int64_t read_votes_every = 0;
  // Tests: called on this rank at each part of a trial ("setup", "stage", "epoch", "noise",
  // "loss", "optimizer", "evaluation"); a throw there stands for that part failing on this rank
  // alone.
  std::function<void(const char* part)> fault;
};

struct TrialOutput {
  Metrics metrics;  // final metrics
  Artifacts artifacts;
  bool interrupted = false;  // stopped by should_stop; `checkpoint` holds where
  std::string checkpoint;
  bool pruned = false;  // stopped early by goes_on; the metrics are of the model there
  // A member of a fused array that failed alone (its loss was not finite) while the array went
  // on: why. A trial trained alone throws instead.
  std::string error{};
};

// Called on every rank as member k of a fused array ends (the output is the trial's on the group
// root only): completed, pruned, interrupted, or failed alone (output.error).
using LeaveCallback = std::function<void(std::size_t member, TrialOutput output)>;

}  // namespace runner
