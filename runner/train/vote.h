#pragma once
// What the ranks of a group agree on at every step, and how they fail together: the votes ride
// as the trailing scalars of the gradients' allreduce (so agreeing costs no extra collective),
// summed on the device, and are read back every few steps.
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "cluster/group.h"

namespace runner {

// What the ranks of a group agree on at every step, as the trailing scalars of the gradients'
// allreduce (so agreeing costs no extra collective): for K members, [each member's loss this step
// summed over the global batch (K), ranks that failed (1), ranks asked to stop each member (K)];
// [loss, failed, stop] for a trial alone. The sums stay on the device and are read back only
// every few steps (see Tally).
inline std::int64_t vote_scalars(std::int64_t members) {
  return 2 * members + 1;
}

// How often a GPU rank reads the group's votes back to the host. Reading every step (`.item()`)
// makes the host wait for each step's kernels and NCCL allreduce before it can queue the next, so
// steps never overlap; every kVoteReadSteps steps, and at each epoch's end, keeps the device busy.
// A stop or a failure then takes effect within that many steps. On the CPU reading is free: every
// step.
constexpr std::int64_t kVoteReadSteps = 16;

// The votes since the epoch began (the losses) or since they were last read (failures, stops),
// on the device; and this rank's own non-finite losses, to say which rank diverged.
struct Tally {
  torch::Tensor loss_sum;  // float64 (K), each member's epoch loss so far
  torch::Tensor flags;     // float32 (1 + K) [failed, stop per member], summed over the group
  torch::Tensor diverged;  // int64 (K), this rank's non-finite losses
  std::int64_t since = 0;  // the first sample of the steps not yet read
};

// What a read of the tally says.
struct StepVote {
  std::vector<double> loss_sum;  // each member's epoch loss so far, summed over its samples
  bool failed = false;           // some rank failed: all fail the array together
  std::vector<bool> stop;        // some rank was asked to stop the member: it stops here
  bool diverged = false;         // this rank's loss was not finite (a trial alone)
};

// The tally read back to the host (one wait for the device) for `members` members; a trial
// alone's own non-finite loss says that it diverged. Zeroes the flags for the next steps.
StepVote read_tally(Tally& tally, std::int64_t members, bool alone);

// "rank 3: ...; rank 4: ..." for the non-empty strings a group gathered, by world rank.
std::string by_rank(const cluster::Group& group, const std::vector<std::string>& all);

// Fails the trial on every rank of the group when any rank failed this step, with every rank's
// message at the group root. All ranks reach this together, so none is left waiting.
[[noreturn]] void fail_together(cluster::Group& group, const std::string& mine, double timeout_s);

// Why a loss that was not finite failed its trial, naming the epoch, steps and learning rate.
std::string not_finite(std::int64_t epoch, std::int64_t since, std::int64_t end,
                       std::int64_t batch_size, double lr);

}  // namespace runner
