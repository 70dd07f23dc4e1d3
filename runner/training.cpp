#include "runner/training.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>

#include "cluster/backend.h"
#include "cluster/data_parallel.h"
#include "models/autoencoder.h"
#include "models/corruptions.h"
#include "models/fused.h"
#include "models/schedules.h"
#include "runner/checkpoint.h"
#include "runner/evaluation.h"
#include "runner/flat_adam.h"
#include "runner/state_bytes.h"
#include "runner/trial_data.h"
#include "util/shuffle.h"

namespace runner {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// What the ranks of a group agree on at every step, as the trailing scalars of the gradients'
// allreduce (so agreeing costs no extra collective): for K members, [each member's loss this step
// summed over the global batch (K), ranks that failed (1), ranks asked to stop each member (K)];
// [loss, failed, stop] for a trial alone. The sums stay on the device and are read back only
// every few steps (see Tally).
std::int64_t vote_scalars(std::int64_t members) {
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

// Where an epoch ended for the members still training: each one's loss sum, and whether it was
// told to stop on the epoch's last step (it reports the epoch, then stops).
struct EpochEnd {
  std::vector<double> loss_sum;
  std::vector<bool> stop_after;
};

// "rank 3: ...; rank 4: ..." for the non-empty strings a group gathered, by world rank.
std::string by_rank(const cluster::Group& group, const std::vector<std::string>& all) {
  std::string joined;
  for (std::size_t r = 0; r < all.size(); ++r)
    if (!all[r].empty())
      joined += (joined.empty() ? "" : "; ") + std::string("rank ") +
                std::to_string(group.world_ranks()[r]) + ": " + all[r];
  return joined;
}

// Fails the trial on every rank of the group when any rank failed this step, with every rank's
// message at the group root. All ranks reach this together, so none is left waiting.
[[noreturn]] void fail_together(cluster::Group& group, const std::string& mine, double timeout_s) {
  if (group.size() == 1) throw std::runtime_error(mine);
  const std::string joined = by_rank(group, group.gather_strings(mine, timeout_s));
  throw std::runtime_error(group.rank() == 0 ? joined : "failed on another rank of the group");
}

TrialOutput interrupted(std::string checkpoint) {
  TrialOutput out;
  out.interrupted = true;
  out.checkpoint = std::move(checkpoint);
  return out;
}

// What the trainer keeps for each member of an array (the one trial, alone).
struct Member {
  const Assignment* a = nullptr;
  const TrialHooks* hooks = nullptr;
  std::shared_ptr<models::AutoencoderImpl> model;
  std::mt19937_64 batch_order;
  std::mt19937_64 order_before;  // before this epoch's draw: a mid-epoch checkpoint draws it again
  torch::Tensor perm;            // this epoch's order of the training samples
  // Arrays: LibTorch's generator states of this member while the others draw with theirs.
  std::string cpu_rng, device_rng;
  models::LossWeights weights;  // this epoch's
  bool active = true;           // still training
};

// The trials of one array (or one trial alone) on one rank of their group: pytorch/examples'
// train() loop, with resume and checkpoints. Every rank of the group runs the same steps in
// lockstep. A trial alone computes its loss with its own model, an array with the fused model.
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
  template <typename Work>
  void with_rng(Member& m, Work&& work);
  bool fused() const { return members_.size() > 1; }
  std::int64_t k_members() const { return static_cast<std::int64_t>(members_.size()); }
  bool any_active() const;
  // Member k's part of a flat buffer (values, or Adam's moments) as it would be alone, and back.
  torch::Tensor member_of(const torch::Tensor& buffer, std::size_t k) const {
    return flat_->member_of(buffer, static_cast<std::int64_t>(k));
  }
  void load_member(torch::Tensor& buffer, std::size_t k, const std::string& bytes,
                   const char* what) const {
    auto alone = torch::empty({buffer.numel() / k_members()}, buffer.options());
    load_tensor_bytes(alone, bytes, what);
    flat_->set_member(buffer, static_cast<std::int64_t>(k), alone);
  }
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
  void leave(std::size_t k, TrialOutput out);
  void leave_pruned(std::size_t k);

  std::vector<Member> members_;
  const sweeps::TrialConfig& c_;  // member 0's: the shape, data, batch and epochs all share
  cluster::Group& group_;
  const TrialHooks& hooks0_;  // member 0's: the run's backends, faults and vote reads
  LeaveCallback leave_;
  const Clock::time_point start_ = Clock::now();
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
  std::int64_t series_epoch_ = 0;  // epochs counted across stages
  // A failure on this rank outside a step's forward and backward (the optimizer, the root's
  // evaluation or checkpoint): the next step's vote carries it, so the group fails together
  // instead of leaving the other ranks waiting in a collective.
  std::string pending_error_;
  std::string unread_error_;     // this rank's failure in a step whose vote is not read yet
  std::int64_t read_every_ = 1;  // steps between reads of the votes
};

Trainer::Trainer(const std::vector<Assignment>& members, cluster::Group& group,
                 const std::vector<TrialHooks>& hooks, LeaveCallback leave)
    : c_(members.at(0).config),
      group_(group),
      hooks0_(hooks.at(0)),
      leave_(std::move(leave)),
      root_(group.rank() == 0) {
  for (std::size_t k = 0; k < members.size(); ++k) {
    members_.emplace_back();
    members_.back().a = &members[k];
    members_.back().hooks = &hooks.at(k);
  }
  std::string problem;
  try {
    set_up();
  } catch (const std::exception& e) {
    problem = *e.what() ? e.what() : "set-up failed";  // empty means ready to the group
  }
  agree_to_start(problem);
  auto& backends = hooks0_.backends ? *hooks0_.backends : own_backends_;
  backend_ = backends.get(group, device_, members[0].collective_timeout_s);
  if (backend_) backend_->broadcast(flat_->values());  // identical replicas, whatever each RNG did
}

// What each rank does alone before the group's first collective. The GPU becomes current first,
// before any tensor or generator touches it.
void Trainer::set_up() {
  auto& world = group_.world();
  const Assignment& a = *members_[0].a;
  device_ = cluster::choose_device(c_.train.device, world.local_rank(), world.local_size(),
                                   static_cast<int>(a.ranks_per_gpu));
  cluster::use_device(device_);
  fault("setup");
  if (a.threads > 0) torch::set_num_threads(static_cast<int>(a.threads));
  torch::manual_seed(static_cast<std::uint64_t>(a.seed));
  data_ = load_trial_data(c_, device_);
  n_ = data_.train.x.size(0);
  build_members();
  read_every_ = hooks0_.read_votes_every > 0 ? hooks0_.read_votes_every
                : device_.is_cuda()          ? kVoteReadSteps
                                             : 1;
}

// Each member's model as it would be built alone, from its own seed; an array's weights then
// move into one buffer, row by row, and the fused model computes with them.
void Trainer::build_members() {
  std::vector<std::vector<torch::Tensor>> parameters;
  for (auto& m : members_) {
    torch::manual_seed(static_cast<std::uint64_t>(m.a->seed));
    m.model = models::make_autoencoder(m.a->config.model, data_.train_input.size(1),
                                       data_.train.x.size(1), data_.classes);
    m.model->to(device_);
    m.batch_order.seed(static_cast<std::uint64_t>(m.a->seed));
    parameters.push_back(m.model->parameters());
    if (!fused()) continue;
    m.cpu_rng = generator_state(torch::kCPU);
    if (device_.is_cuda()) m.device_rng = generator_state(device_);
  }
  if (!fused()) {
    flat_ = std::make_unique<FlatParameters>(parameters[0], vote_scalars(1));
    return;
  }
  flat_ = std::make_unique<FlatParameters>(parameters, vote_scalars(k_members()));
  fused_model_ = std::make_unique<models::FusedAutoencoder>(
      c_.model, *members_[0].model, flat_->stacked(), data_.train_input.size(1),
      data_.train.x.size(1), data_.classes);
  active_ = torch::arange(k_members(), torch::TensorOptions().device(device_).dtype(torch::kInt64));
}

template <typename Work>
void Trainer::with_rng(Member& m, Work&& work) {
  if (!fused()) return work();
  set_generator_state(torch::kCPU, m.cpu_rng);
  if (!m.device_rng.empty()) set_generator_state(device_, m.device_rng);
  work();
  m.cpu_rng = generator_state(torch::kCPU);
  if (!m.device_rng.empty()) m.device_rng = generator_state(device_);
}

bool Trainer::any_active() const {
  return std::any_of(members_.begin(), members_.end(), [](const Member& m) { return m.active; });
}

// The ranks of a group say whether they are ready, and on which kind of device, under the
// collective deadline: a rank that failed alone (no GPU on its node, missing data, out of memory)
// fails the trial on every rank, instead of leaving the others in the first collective.
void Trainer::agree_to_start(const std::string& problem) {
  if (group_.size() == 1) {
    if (!problem.empty()) throw std::runtime_error(problem);
    return;
  }
  const double timeout_s = members_[0].a->collective_timeout_s;
  const std::string failed = by_rank(group_, group_.gather_strings(problem, timeout_s));
  if (!failed.empty()) throw std::runtime_error(failed);
  const auto kinds = group_.gather_strings(device_.is_cuda() ? "cuda" : "cpu", timeout_s);
  if (std::adjacent_find(kinds.begin(), kinds.end(), std::not_equal_to<>()) != kinds.end())
    throw std::runtime_error("the ranks of one group must train on one kind of device: " +
                             by_rank(group_, kinds) + " (set train.device)");
}

// Every rank of the group loads the same checkpoints, so the replicas stay identical. The members
// of an array resume from one point: the one where they stopped together.
void Trainer::resume(const std::vector<Checkpoint>& from) {
  const Checkpoint& first = from[0];
  for (std::int64_t stage = 0; stage < first.stage; ++stage)
    for (auto& m : members_) {
      m.model->begin_stage(stage);
      m.model->end_stage(stage);
    }
  for (std::size_t k = 0; k < members_.size(); ++k) {
    const Checkpoint& c = from[k];
    if (c.stage != first.stage || c.series_epoch != first.series_epoch ||
        c.next_sample != first.next_sample || c.adam_steps != first.adam_steps)
      throw std::runtime_error("the members of a fused array must resume from one point: trial " +
                               c.trial_id + " stopped elsewhere than trial " + first.trial_id);
    load_member(flat_->values(), k, c.parameters, "parameters");
    members_[k].batch_order = engine_from_text(c.batch_order);
    members_[k].cpu_rng = c.cpu_rng;
    if (device_.is_cuda()) members_[k].device_rng = c.device_rng;
  }
  if (!fused()) {
    set_generator_state(torch::kCPU, first.cpu_rng);
    if (device_.is_cuda() && !first.device_rng.empty())
      set_generator_state(device_, first.device_rng);
  }
  train_seconds_ = first.train_seconds;
  series_epoch_ = first.series_epoch;
}

void Trainer::run(torch::Tensor* final_parameters) {
  const Assignment& a = *members_[0].a;
  const bool resuming = !a.checkpoint.empty();
  std::vector<Checkpoint> from(members_.size());
  if (resuming) {
    for (std::size_t k = 0; k < members_.size(); ++k)
      from[k] = decode_checkpoint(members_[k].a->checkpoint, "trial " + members_[k].a->trial_id);
    resume(from);
    if (a.stopped_early) {
      start_stage(from[0].stage, &from);  // the model as it stood when it was stopped
      for (std::size_t k = 0; k < members_.size(); ++k) leave_pruned(k);
      return;
    }
  }
  const std::int64_t stages = members_[0].model->stages();
  for (std::int64_t stage = from[0].stage; stage < stages; ++stage) {
    const bool resuming_stage = resuming && stage == from[0].stage;
    start_stage(stage, resuming_stage ? &from : nullptr);
    for (std::int64_t epoch = resuming_stage ? from[0].stage_epoch + 1 : 1;
         epoch <= c_.train.epochs; ++epoch) {
      // An epoch stopped part-way goes on at its next sample, with its loss sums so far.
      const bool part_done =
          resuming_stage && epoch == from[0].stage_epoch + 1 && from[0].next_sample > 0;
      if (!run_epoch(stage, epoch, part_done ? &from : nullptr)) return;
    }
    for (auto& m : members_) m.model->end_stage(stage);
  }
  if (final_parameters)
    *final_parameters = flat_->values().to(torch::kCPU, /*non_blocking=*/false, /*copy=*/true);
  for (std::size_t k = 0; k < members_.size(); ++k)
    if (members_[k].active) leave(k, root_ ? finish(k) : TrialOutput{});
}

// The stage's fresh optimizer (what earlier stages trained must not drift), or, resuming, the
// optimizer as the checkpoints left it.
void Trainer::start_stage(std::int64_t stage, const std::vector<Checkpoint>* resumed) {
  carry([&] {
    fault("stage");
    std::vector<double> lrs;
    for (auto& m : members_) {
      m.model->begin_stage(stage);
      lrs.push_back(m.active ? m.a->config.train.lr : 0.0);
    }
    opt_.emplace(*flat_, lrs);
    if (!resumed) return;
    for (std::size_t k = 0; k < members_.size(); ++k) {
      load_member(opt_->exp_avg(), k, (*resumed)[k].adam_m, "Adam's first moment");
      load_member(opt_->exp_avg_sq(), k, (*resumed)[k].adam_v, "Adam's second moment");
    }
    opt_->set_steps((*resumed)[0].adam_steps);
  });
}

// Each member's order of the epoch's samples, from its own engine, and its loss weights (KL
// annealing by its own schedule), for an array also as tensors on the device, once an epoch.
void Trainer::draw_orders(std::int64_t epoch) {
  for (auto& m : members_) {
    const auto& c = m.a->config;
    m.order_before = m.batch_order;
    m.weights = {c.loss.beta * models::kl_factor(c.kl, epoch - 1, c.train.epochs), c.loss.lambda};
    carry([&] {
      fault("epoch");
      m.perm = torch::tensor(util::permutation(n_, m.batch_order), torch::kInt64).to(device_);
    });
  }
  if (!fused()) return;
  std::vector<double> beta, lambda;
  for (const auto& m : members_) {
    beta.push_back(m.weights.beta);
    lambda.push_back(m.weights.lambda);
  }
  const auto f64 = torch::TensorOptions().device(device_).dtype(torch::kFloat64);
  fused_weights_ = {torch::tensor(beta).to(f64), torch::tensor(lambda).to(f64)};
}

// Trains and reports one epoch of the members still training; false when none is left.
bool Trainer::run_epoch(std::int64_t stage, std::int64_t epoch,
                        const std::vector<Checkpoint>* part_done) {
  ++series_epoch_;
  const auto t_epoch = Clock::now();
  draw_orders(epoch);
  std::vector<double> sums(members_.size(), 0.0);
  for (std::size_t k = 0; part_done && k < members_.size(); ++k) sums[k] = (*part_done)[k].loss_sum;
  const EpochEnd end = train_epoch(stage, epoch, part_done ? (*part_done)[0].next_sample : 0, sums);
  train_seconds_ += seconds_since(t_epoch);
  if (!any_active()) return false;  // all stopped inside the epoch, or failed
  // Told to stop on the epoch's last step: the epoch is whole, so a member reports it, then
  // stops (unless the trial is done anyway).
  const bool last = stage + 1 == members_[0].model->stages() && epoch == c_.train.epochs;
  bool array_ends = true;
  std::vector<std::string> checkpoints(members_.size());
  for (std::size_t k = 0; k < members_.size(); ++k) {
    Member& m = members_[k];
    if (!m.active) continue;
    const bool stop_here = end.stop_after[k] && !last;
    array_ends = array_ends && (stop_here || last);
    if (root_)
      carry([&] {
        fault("evaluation");
        checkpoints[k] = report_epoch(k, end.loss_sum[k], m.hooks->checkpoints || stop_here,
                                      [&] { return capture(k, stage, epoch, 0, end.loss_sum[k]); });
      });
  }
  // No step follows to carry a failure when the array ends here: it fails on this rank alone,
  // after the group's last collective.
  if (array_ends && !pending_error_.empty()) throw std::runtime_error(pending_error_);
  for (std::size_t k = 0; k < members_.size() && !last; ++k)
    if (members_[k].active && end.stop_after[k]) leave(k, interrupted(std::move(checkpoints[k])));
  if (last) return true;
  if (any_active() && members_[0].a->early_stop) goes_on();
  return any_active();
}

// The group's verdict on going on after this epoch, for each member still training: the root's
// (rank 0's, through goes_on), which every rank then follows; a member told to stop leaves,
// pruned. A root whose report failed asks nothing: the next step fails the group.
void Trainer::goes_on() {
  std::string keep(members_.size(), '1');
  for (std::size_t k = 0; k < members_.size(); ++k) {
    const Member& m = members_[k];
    if (root_ && m.active && m.hooks->goes_on && pending_error_.empty())
      carry([&] { keep[k] = m.hooks->goes_on(series_epoch_) ? '1' : '0'; });
  }
  if (group_.size() > 1)
    keep = group_.gather_strings(root_ ? keep : "", members_[0].a->collective_timeout_s)[0];
  for (std::size_t k = 0; k < members_.size(); ++k)
    if (members_[k].active && keep[k] == '0') leave_pruned(k);
}

// Stopped early: the final metrics (on the root) are those of the model as it stands.
void Trainer::leave_pruned(std::size_t k) {
  TrialOutput out = root_ ? finish(k) : TrialOutput{};
  out.pruned = true;
  leave(k, std::move(out));
}

// A member's training ends: an array goes on without it (it is no longer updated, and its loss
// no longer counts).
void Trainer::leave(std::size_t k, TrialOutput out) {
  members_[k].active = false;
  if (fused()) {
    if (opt_) opt_->set_member_lr(k, 0);
    std::vector<std::int64_t> active;
    for (std::size_t j = 0; j < members_.size(); ++j)
      if (members_[j].active) active.push_back(static_cast<std::int64_t>(j));
    active_ = torch::tensor(active, torch::kInt64).to(device_);
  }
  leave_(k, std::move(out));
}

EpochEnd Trainer::train_epoch(std::int64_t stage, std::int64_t epoch, std::int64_t first_sample,
                              const std::vector<double>& loss_sum) {
  const auto on = torch::TensorOptions().device(device_);
  const std::int64_t k_all = k_members();
  Tally tally{torch::tensor(loss_sum, torch::kFloat64).to(device_),
              torch::zeros({1 + k_all}, on.dtype(torch::kFloat32)),
              torch::zeros({k_all}, on.dtype(torch::kInt64)), first_sample};
  const std::int64_t batch_size = c_.train.batch_size;
  std::int64_t steps = 0;
  for (std::int64_t start = first_sample; start < n_; start += batch_size) {
    step(start, tally);
    const std::int64_t end = std::min(start + batch_size, n_);
    if (++steps % read_every_ != 0 && end < n_) continue;
    const StepVote vote = read(tally, epoch, end);
    EpochEnd out{vote.loss_sum, std::vector<bool>(members_.size(), false)};
    for (std::size_t k = 0; k < members_.size(); ++k)
      out.stop_after[k] = members_[k].active && vote.stop[k];
    if (end == n_) return out;
    stop_inside(out.stop_after, stage, epoch, end, vote.loss_sum);
    if (!any_active()) return out;
  }
  return {loss_sum, std::vector<bool>(members_.size(), false)};
}

// Members told to stop before the epoch's end leave with a checkpoint there (on the root).
void Trainer::stop_inside(const std::vector<bool>& stop, std::int64_t stage, std::int64_t epoch,
                          std::int64_t end, const std::vector<double>& loss_sum) {
  bool all = true;
  for (std::size_t k = 0; k < members_.size(); ++k) all = all && (!members_[k].active || stop[k]);
  // No step follows to carry a failure when the array ends here.
  if (all && !pending_error_.empty()) throw std::runtime_error(pending_error_);
  for (std::size_t k = 0; k < members_.size(); ++k)
    if (members_[k].active && stop[k])
      leave(k, interrupted(root_ ? capture(k, stage, epoch, end, loss_sum[k]) : std::string()));
}

// One optimizer step of every member on its global batch at `start` of its epoch's permutation,
// of which this rank trains its shard; the votes go into the tally. Whatever fails on this rank,
// here or since the last step, fails the array on every rank at the next read.
void Trainer::step(std::int64_t start, Tally& tally) {
  const std::int64_t k_all = k_members();
  std::vector<double> stops(members_.size(), 0.0);
  for (std::size_t k = 0; k < members_.size(); ++k) {
    const auto& should_stop = members_[k].hooks->should_stop;
    if (members_[k].active && should_stop && should_stop()) stops[k] = 1;
  }
  if (unread_error_.empty()) unread_error_ = std::move(pending_error_);
  pending_error_.clear();
  torch::Tensor loss;  // (K) float64
  if (unread_error_.empty()) {
    try {
      loss = forward_backward(start);
    } catch (const std::exception& e) {
      unread_error_ = e.what();
    }
  }
  if (!unread_error_.empty()) {
    flat_->zero_grad();  // this rank adds nothing; the group fails at the next read
    loss = torch::zeros({k_all}, torch::TensorOptions().device(device_).dtype(torch::kFloat64));
  }
  auto extra = flat_->extra();
  extra.narrow(0, 0, k_all).copy_(loss);
  extra[k_all].fill_(unread_error_.empty() ? 0.0 : 1.0);
  // A trial alone fails on a non-finite loss; an array drops the member (drop_diverged).
  if (!fused()) extra[k_all].add_(loss.isfinite().logical_not().sum());
  for (std::int64_t k = 0; k < k_all; ++k) extra[k_all + 1 + k].fill_(stops[k]);
  tally.diverged.add_(loss.isfinite().logical_not());
  if (backend_) {
    backend_->allreduce_sum(flat_->gradients_and_extra());
    tally.loss_sum.add_(extra.narrow(0, 0, k_all).to(torch::kFloat64));  // the group's
  } else {
    tally.loss_sum.add_(loss);
  }
  tally.flags.add_(extra.narrow(0, k_all, k_all + 1));
  if (!unread_error_.empty()) return;  // failing: its state (the optimizer, say) may be unmade
  carry([&] {
    fault("optimizer");
    opt_->step();
  });
}

std::string not_finite(std::int64_t epoch, std::int64_t since, std::int64_t end,
                       std::int64_t batch_size, double lr) {
  return "loss is not finite (nan or inf) at epoch " + std::to_string(epoch) + ", steps " +
         std::to_string(since / batch_size) + "-" + std::to_string((end - 1) / batch_size) +
         " (learning rate " + std::to_string(lr) + " too high?)";
}

// Reads the votes of the steps since the last read (one wait for the device). Fails the array on
// every rank of the group when any rank failed in them, with every rank's message at the root.
StepVote Trainer::read(Tally& tally, std::int64_t epoch, std::int64_t end) {
  const std::int64_t k_all = k_members();
  const auto host = torch::cat({tally.loss_sum, tally.flags.to(torch::kFloat64),
                                tally.diverged.to(torch::kFloat64)})
                        .to(torch::kCPU);
  const auto v = host.accessor<double, 1>();
  StepVote vote;
  for (std::int64_t k = 0; k < k_all; ++k) {
    vote.loss_sum.push_back(v[k]);
    vote.stop.push_back(v[k_all + 1 + k] > 0);
  }
  vote.failed = v[k_all] > 0;
  vote.diverged = !fused() && v[2 * k_all + 1] > 0;
  if (vote.diverged && unread_error_.empty())
    unread_error_ = not_finite(epoch, tally.since, end, c_.train.batch_size, c_.train.lr);
  if (vote.failed) fail_together(group_, unread_error_, members_[0].a->collective_timeout_s);
  if (fused()) drop_diverged(vote, epoch, tally.since, end);
  tally.flags.zero_();
  tally.diverged.zero_();
  tally.since = end;
  return vote;
}

// An array's member whose loss was not finite (on any rank: the sums are the group's) leaves,
// failed; its weights and moments are zeroed, so that it stays finite while the others go on.
void Trainer::drop_diverged(const StepVote& vote, std::int64_t epoch, std::int64_t since,
                            std::int64_t end) {
  for (std::size_t k = 0; k < members_.size(); ++k) {
    if (!members_[k].active || std::isfinite(vote.loss_sum[k])) continue;
    const auto zeros =
        torch::zeros({flat_->values().numel() / k_members()}, flat_->values().options());
    for (auto* buffer : {&flat_->values(), &opt_->exp_avg(), &opt_->exp_avg_sq()})
      flat_->set_member(*buffer, static_cast<std::int64_t>(k), zeros);
    TrialOutput out;
    out.error = not_finite(epoch, since, end, c_.train.batch_size, members_[k].a->config.train.lr);
    leave(k, std::move(out));
  }
}

// Forward and backward of this rank's shard of the global batches at `start`; returns each
// member's loss summed over its samples, (K) float64 on the device (not read: a non-finite one is
// caught when the votes are read). Noise and corruptions are drawn for the whole global batch,
// alike on every rank (even one whose shard is empty): a sample's draw must not depend on the
// sharding, and the ranks' generators must stay in step.
torch::Tensor Trainer::forward_backward(std::int64_t start) {
  const std::int64_t batch = std::min(c_.train.batch_size, n_ - start);
  const auto [begin, end] = cluster::shard(batch, group_.rank(), group_.size());
  flat_->zero_grad();
  fault("noise");
  if (fused()) return forward_backward_fused(start, batch, begin, end);
  Member& m = members_[0];
  const auto on = torch::TensorOptions().device(device_);
  torch::Tensor noise, corrupted;
  if (m.model->noise_dim() > 0) noise = torch::randn({batch, m.model->noise_dim()}, on);
  const auto& corruption = c_.corruption;
  if (corruption.kind != sweeps::CorruptionKind::kNone)
    corrupted = models::network_input(
        corruption,
        models::corrupt(corruption, data_.train.x.index_select(0, m.perm.narrow(0, start, batch)),
                        data_.rows, data_.cols));
  if (end <= begin) return torch::zeros({1}, on.dtype(torch::kFloat64));
  fault("loss");
  auto idx = m.perm.narrow(0, start + begin, end - begin);
  auto input = corrupted.defined() ? corrupted.narrow(0, begin, end - begin)
                                   : data_.train_input.index_select(0, idx);
  models::Batch b{input, data_.train.x.index_select(0, idx), data_.train.y.index_select(0, idx),
                  noise.defined() ? noise.narrow(0, begin, end - begin) : noise};
  auto losses = m.model->loss(b, m.weights);
  // Weighted by the shard's share, the group's summed gradient is the global batch's.
  (losses.total * (static_cast<double>(end - begin) / static_cast<double>(batch))).backward();
  return (losses.total.detach().to(torch::kFloat64) * static_cast<double>(end - begin))
      .reshape({1});
}

// The same for an array: each member's samples, noise and corruption as it would draw them alone,
// stacked (K, shard, ...) for the fused model. Members that left ride along unread.
torch::Tensor Trainer::forward_backward_fused(std::int64_t start, std::int64_t batch,
                                              std::int64_t begin, std::int64_t end) {
  const auto on = torch::TensorOptions().device(device_);
  const std::int64_t len = end - begin, noise_dim = members_[0].model->noise_dim();
  // The corruption's kind is part of an array's shape: all members are corrupted, or none.
  const bool corrupted = c_.corruption.kind != sweeps::CorruptionKind::kNone;
  std::vector<torch::Tensor> idx, inputs, noises;
  for (auto& m : members_) {
    const auto global = m.perm.narrow(0, start, batch);
    const auto& corruption = m.a->config.corruption;
    torch::Tensor noise = torch::zeros({batch, noise_dim}, on), input;
    const bool draws = noise_dim > 0 || corruption.kind != sweeps::CorruptionKind::kNone;
    if (m.active && draws)
      with_rng(m, [&] {
        if (noise_dim > 0) noise = torch::randn({batch, noise_dim}, on);
        if (corruption.kind != sweeps::CorruptionKind::kNone)
          input = models::network_input(
              corruption, models::corrupt(corruption, data_.train.x.index_select(0, global),
                                          data_.rows, data_.cols));
      });
    idx.push_back(global.narrow(0, begin, std::max<std::int64_t>(len, 0)));
    if (corrupted)
      inputs.push_back(input.defined() ? input.narrow(0, begin, std::max<std::int64_t>(len, 0))
                                       : data_.train_input.index_select(0, idx.back()));
    noises.push_back(noise.narrow(0, begin, std::max<std::int64_t>(len, 0)));
  }
  const std::int64_t k_all = k_members();
  auto sums = torch::zeros({k_all}, on.dtype(torch::kFloat64));
  if (len <= 0) return sums;
  fault("loss");
  const auto all = torch::stack(idx).reshape({-1});
  models::FusedBatch b{corrupted ? torch::stack(inputs)
                                 : data_.train_input.index_select(0, all).view({k_all, len, -1}),
                       data_.train.x.index_select(0, all).view({k_all, len, -1}),
                       data_.train.y.index_select(0, all).view({k_all, len}),
                       noise_dim > 0 ? torch::stack(noises) : torch::Tensor()};
  const auto losses = fused_model_->loss(b, fused_weights_);
  const auto mine = losses.total.index_select(0, active_);
  (mine.sum() * (static_cast<double>(len) / static_cast<double>(batch))).backward();
  return sums.index_copy_(0, active_, mine.detach().to(torch::kFloat64) * static_cast<double>(len));
}

// A member's epoch series, reported through its on_epoch with its checkpoint; returns the
// checkpoint (empty unless `with_checkpoint`).
std::string Trainer::report_epoch(std::size_t k, double loss_sum, bool with_checkpoint,
                                  const std::function<std::string()>& capture) {
  Member& m = members_[k];
  auto [test_err, test_codes] = evaluate(*m.model, data_.test_input, data_.test);
  Metrics series = {{"train_loss", loss_sum / static_cast<double>(n_)},
                    {"test_recon_mse", test_err.mean().item<double>()}};
  if (m.model->noise_dim() > 0) series.emplace_back("beta", m.weights.beta);
  const std::string checkpoint = with_checkpoint ? capture() : std::string();
  if (m.hooks->on_epoch)
    m.hooks->on_epoch(series_epoch_, series, m.hooks->checkpoints ? checkpoint : std::string());
  return checkpoint;
}

// A member as it stands, for its checkpoint: after `epoch` of `stage` (next_sample 0), or inside
// it, before sample `next_sample` of its permutation. Exactly what the trial alone would save.
std::string Trainer::capture(std::size_t k, std::int64_t stage, std::int64_t epoch,
                             std::int64_t next_sample, double loss_sum) {
  const Member& m = members_[k];
  const bool inside = next_sample > 0;
  Checkpoint c;
  c.trial_id = m.a->trial_id;
  c.stage = stage;
  c.stage_epoch = inside ? epoch - 1 : epoch;
  c.series_epoch = inside ? series_epoch_ - 1 : series_epoch_;
  c.next_sample = next_sample;
  c.loss_sum = inside ? loss_sum : 0.0;
  c.train_seconds = train_seconds_;
  c.batch_order = engine_text(inside ? m.order_before : m.batch_order);
  c.cpu_rng = fused() ? m.cpu_rng : generator_state(torch::kCPU);
  if (device_.is_cuda()) c.device_rng = fused() ? m.device_rng : generator_state(device_);
  c.parameters = tensor_bytes(member_of(flat_->values(), k));
  c.adam_steps = opt_->steps();
  c.adam_m = tensor_bytes(member_of(opt_->exp_avg(), k));
  c.adam_v = tensor_bytes(member_of(opt_->exp_avg_sq(), k));
  return encode_checkpoint(c);
}

// A member's final metrics and pictures, on the group root.
TrialOutput Trainer::finish(std::size_t k) {
  Member& m = members_[k];
  FinalEvaluation eval;
  // With the member's generator: what the evaluation draws (the probe's initial weights) is
  // what it would draw alone.
  with_rng(m, [&] { eval = evaluate_trial(*m.model, data_, m.a->config, m.a->seed); });
  eval.metrics.emplace_back(
      "samples_per_s", static_cast<double>(n_ * series_epoch_) / std::max(train_seconds_, 1e-9));
  eval.metrics.emplace_back("seconds", seconds_since(start_));
  TrialOutput out;
  out.metrics = std::move(eval.metrics);
  out.artifacts = std::move(eval.artifacts);
  return out;
}

}  // namespace

void train_array(const std::vector<Assignment>& members, cluster::Group& group,
                 const std::vector<TrialHooks>& hooks, const LeaveCallback& leave) {
  Trainer(members, group, hooks, leave).run(nullptr);
}

TrialOutput train_trial(const Assignment& a, cluster::Group& group, const EpochCallback& on_epoch,
                        torch::Tensor* final_parameters) {
  TrialHooks hooks;
  hooks.on_epoch = [&](std::int64_t epoch, const Metrics& values, const std::string&) {
    on_epoch(epoch, values);
  };
  return train_trial(a, group, hooks, final_parameters);
}

TrialOutput train_trial(const Assignment& a, cluster::Group& group, const TrialHooks& hooks,
                        torch::Tensor* final_parameters) {
  const std::vector<Assignment> one = {a};
  const std::vector<TrialHooks> its_hooks = {hooks};
  TrialOutput out;
  Trainer(one, group, its_hooks, [&](std::size_t, TrialOutput o) {
    out = std::move(o);
  }).run(final_parameters);
  return out;
}

}  // namespace runner
