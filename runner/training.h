#pragma once
#include <torch/torch.h>

// Training of one trial on this rank, in data parallel with the other ranks of its group. The
// loop itself is runner/training.cpp's Trainer; evaluation is runner/evaluation.h.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "cluster/backend.h"
#include "cluster/group.h"
#include "sweeps/config.h"
#include "util/metrics.h"

namespace runner {

using util::Artifacts;
using util::Metrics;

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
  std::string checkpoint;      // encoded runner::Checkpoint to go on from; empty: from epoch 0
};

using EpochCallback = std::function<void(std::int64_t epoch, const Metrics& values)>;

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
  // Asked on every rank before every step: should the trial stop? If any rank of the group says
  // so, all stop together after that step and the trial returns interrupted, with a checkpoint.
  std::function<bool()> should_stop;
  // The run's data-parallel backends (cluster::Backends), kept across trials; without them the
  // trial makes its own.
  cluster::Backends* backends = nullptr;
  // Tests: steps between reads of the group's votes (loss, failure, stop); 0 chooses by device
  // (see kVoteReadSteps in training.cpp).
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

// Trains the trial on every rank of `group` in data parallel: each rank takes its shard of every
// global batch, and gradients are summed over the group each step. Returns the final metrics and
// reports each epoch's series through on_epoch, both on the group root only (other ranks return
// nothing). The root also draws the trial's pictures. Throws on failure (NaN loss, bad data, out of
// memory) with a message saying where; an error on any rank fails the trial on every rank of the
// group. `final_parameters`, if given, receives the trained weights as one flat tensor (for
// checks). With a.checkpoint, the trial goes on from there and ends exactly as if it had never
// stopped (same ranks and threads): same weights, same series, same final metrics.
TrialOutput train_trial(const Assignment& a, cluster::Group& group, const TrialHooks& hooks,
                        torch::Tensor* final_parameters = nullptr);
// Trains the members of a fused array (models/fused.h: one model kind and shape, one data set,
// batch size, epoch count and device) together on every rank of `group`: each member exactly as
// train_trial trains it alone (its own initial weights, batch order, noise, corruption, learning
// rate and loss weights), with hooks[k] as its hooks, but as one batched model, one optimizer step
// for all. Members resuming start from their own checkpoints, which must all be at one point.
// `leave(k, output)` is called on every rank (the output is the trial's on the group root only)
// when member k's training ends: completed, pruned, interrupted, or failed alone because its loss
// was not finite (output.error); the others go on. A failure of the whole array (a rank failing)
// throws, for the members that have not left.
using LeaveCallback = std::function<void(std::size_t member, TrialOutput output)>;
void train_array(const std::vector<Assignment>& members, cluster::Group& group,
                 const std::vector<TrialHooks>& hooks, const LeaveCallback& leave);
// The same without checkpoints or stops.
TrialOutput train_trial(const Assignment& a, cluster::Group& group, const EpochCallback& on_epoch,
                        torch::Tensor* final_parameters = nullptr);

}  // namespace runner
