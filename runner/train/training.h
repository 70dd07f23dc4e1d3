#pragma once
#include <torch/torch.h>

// Training of one trial, or of a fused array of trials, on this rank, in data parallel with the
// other ranks of its group. The loop itself is runner/train/trainer.h; evaluation is
// runner/train/evaluation.h.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "cluster/group.h"
#include "runner/trial.h"

namespace runner {

using EpochCallback = std::function<void(std::int64_t epoch, const Metrics& values)>;

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
// `leave(k, output)` is called as member k's training ends (runner/trial.h); the others go on. A
// failure of the whole array (a rank failing) throws, for the members that have not left.
void train_array(const std::vector<Assignment>& members, cluster::Group& group,
                 const std::vector<TrialHooks>& hooks, const LeaveCallback& leave);
// The same without checkpoints or stops.
TrialOutput train_trial(const Assignment& a, cluster::Group& group, const EpochCallback& on_epoch,
                        torch::Tensor* final_parameters = nullptr);

}  // namespace runner
