#pragma once
// The Trainer: the loop that trains one trial, or a fused array of trials, on one rank of their
// group (runner/train/training.h is its entry point).
#include <torch/torch.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "cluster/backend.h"
#include "models/autoencoder.h"
#include "models/fused.h"
#include "runner/checkpoint.h"
#include "runner/train/flat_adam.h"
#include "runner/train/state_bytes.h"
#include "runner/train/training.h"
#include "runner/train/trial_data.h"
#include "runner/train/vote.h"

namespace runner {

// Where an epoch ended for the members still training: each one's loss sum, and whether it was
// told to stop on the epoch's last step (it reports the epoch, then stops).
struct EpochEnd {
  std::vector<double> loss_sum;
  std::vector<bool> stop_after;
};

// What the trainer keeps for each member of an array (the one trial, alone).
struct Member {
  const Assignment* a = nullptr;
  const TrialHooks* hooks = nullptr;
  // Its config as it trains now: a->config, but population-based training changes its
  // per-member keys (train.lr, loss.beta, ...) as it goes.
  sweeps::TrialConfig config;
  std::shared_ptr<models::AutoencoderImpl> model;
  std::mt19937_64 batch_order;
  std::mt19937_64 order_before;  // before this epoch's draw: a mid-epoch checkpoint draws it again
  torch::Tensor perm;            // this epoch's order of the training samples
  // Arrays: LibTorch's generator states of this member while the others draw with theirs.
  std::string cpu_rng, device_rng;
  models::LossWeights weights;  // this epoch's
  bool active = true;           // still training
  struct {
    double evaluation = 0, checkpoints = 0;  // seconds, checkpoints included in the evaluation
  } costs;
};

// The trials of one array (or one trial alone) on one rank of their group: pytorch/examples'
// train() loop, with resume and checkpoints. Every rank of the group runs the same steps in
// lockstep. A trial alone computes its loss with its own model, an array with the fused model.
// Its methods live by concern: trainer.cpp the loop, step.cpp a step and its votes, snapshot.cpp
// resume and checkpoints, population.cpp population-based training's decisions.
class Trainer {
 public:
  Trainer(const std::vector<Assignment>& members, cluster::Group& group,
          const std::vector<TrialHooks>& hooks, LeaveCallback leave);
  void run(torch::Tensor* final_parameters);

 private:
  void set_up();
  void build_members();
  void agree_to_start(const std::string& problem);
  void fault(const char* part) const {
    if (hooks0_.fault) hooks0_.fault(part);
  }
  // Runs work that this rank does alone between collectives; a failure becomes pending_error_,
  // which the next step's vote carries to the whole group.
  template <typename Work>
  void carry(Work&& work) {
    try {
      work();
    } catch (const std::exception& e) {
      if (pending_error_.empty()) pending_error_ = e.what();
    }
  }
  // Runs a member's draws of LibTorch's global generator with its own generator state: each
  // member draws the numbers it would draw alone. A trial alone just uses the generator.
  // `host_too` false: only the device's generator (a CUDA step draws nothing on the host).
  template <typename Work>
  void with_rng(Member& m, Work&& work) {
    with_rng(m, true, std::forward<Work>(work));
  }
  template <typename Work>
  void with_rng(Member& m, bool host_too, Work&& work);
  bool fused() const { return members_.size() > 1; }
  std::int64_t k_members() const { return static_cast<std::int64_t>(members_.size()); }
  bool any_active() const;
  // Member k's part of a flat buffer (values, or Adam's moments) as it would be alone, and back.
  torch::Tensor member_of(const torch::Tensor& buffer, std::size_t k) const {
    return flat_->member_of(buffer, static_cast<std::int64_t>(k));
  }
  void load_member(torch::Tensor& buffer, std::size_t k, const std::string& bytes,
                   const char* what) const;
  void resume(const std::vector<Checkpoint>& from);
  void start_stage(std::int64_t stage, const std::vector<Checkpoint>* resumed);
  bool run_epoch(std::int64_t stage, std::int64_t epoch, const std::vector<Checkpoint>* part_done);
  void draw_orders(std::int64_t epoch);
  EpochEnd train_epoch(std::int64_t stage, std::int64_t epoch, std::int64_t first_sample,
                       const std::vector<double>& loss_sum);
  void stop_inside(const std::vector<bool>& stop, std::int64_t stage, std::int64_t epoch,
                   std::int64_t end, const std::vector<double>& loss_sum);
  void step(std::int64_t start, Tally& tally);
  torch::Tensor forward_backward(std::int64_t start);
  torch::Tensor forward_backward_alone(std::int64_t start, std::int64_t batch, std::int64_t begin,
                                       std::int64_t end);
  torch::Tensor forward_backward_fused(std::int64_t start, std::int64_t batch, std::int64_t begin,
                                       std::int64_t end);
  StepVote read(Tally& tally, std::int64_t epoch, std::int64_t end);
  void drop_diverged(const StepVote& vote, std::int64_t epoch, std::int64_t since,
                     std::int64_t end);
  std::string report_epoch(std::size_t k, double loss_sum, bool with_checkpoint,
                           const std::function<std::string()>& capture);
  std::string capture(std::size_t k, std::int64_t stage, std::int64_t epoch,
                      std::int64_t next_sample, double loss_sum);
  TrialOutput finish(std::size_t k);
  void goes_on();
  // Population-based training (population.cpp): rank 0's decisions on the members at this
  // epoch, through the group root, applied alike on every rank of the group.
  void take_decisions();
  void take_resumed_decisions();
  void apply_decisions(const std::vector<Exploit>& decisions);
  void leave(std::size_t k, TrialOutput out);
  void leave_pruned(std::size_t k);

  std::vector<Member> members_;
  const sweeps::TrialConfig& c_;  // member 0's: the shape, data, batch and epochs all share
  cluster::Group& group_;
  const TrialHooks& hooks0_;  // member 0's: the run's backends, faults and vote reads
  LeaveCallback leave_;
  const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  torch::Device device_ = torch::kCPU;
  const bool root_;
  cluster::Backends own_backends_;  // when the run keeps none across trials
  TrialData data_;
  std::int64_t n_ = 0;  // training samples
  cluster::Backend* backend_ = nullptr;
  std::unique_ptr<FlatParameters> flat_;
  std::unique_ptr<models::FusedAutoencoder> fused_model_;
  torch::Tensor active_;  // arrays: indices of the members still training, on the device
  models::FusedWeights fused_weights_;  // arrays: the epoch's loss weights of every member
  std::optional<FlatAdam> opt_;         // the stage's optimizer: fresh state for every stage
  double train_seconds_ = 0;
  double setup_seconds_ = 0;       // data, models and backend, before the first step
  std::int64_t series_epoch_ = 0;  // epochs counted across stages
  // A failure on this rank outside a step's forward and backward (the optimizer, the root's
  // evaluation or checkpoint): the next step's vote carries it, so the group fails together
  // instead of leaving the other ranks waiting in a collective.
  std::string pending_error_;
  std::string unread_error_;     // this rank's failure in a step whose vote is not read yet
  std::int64_t read_every_ = 1;  // steps between reads of the votes
};

template <typename Work>
void Trainer::with_rng(Member& m, bool host_too, Work&& work) {
  if (!fused()) return work();
  if (host_too) set_generator_state(torch::kCPU, m.cpu_rng);
  if (!m.device_rng.empty()) set_generator_state(device_, m.device_rng);
  work();
  if (host_too) m.cpu_rng = generator_state(torch::kCPU);
  if (!m.device_rng.empty()) m.device_rng = generator_state(device_);
}

}  // namespace runner
