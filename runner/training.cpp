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
// allreduce (so agreeing costs no extra collective): [this step's loss summed over the global
// batch, ranks that failed, ranks asked to stop]. The sums stay on the device and are read back
// only every few steps (see Tally).
constexpr std::int64_t kVoteScalars = 3;

// How often a GPU rank reads the group's votes back to the host. Reading every step (`.item()`)
// makes the host wait for each step's kernels and NCCL allreduce before it can queue the next, so
// steps never overlap; every kVoteReadSteps steps, and at each epoch's end, keeps the device busy.
// A stop or a failure then takes effect within that many steps. On the CPU reading is free: every
// step.
constexpr std::int64_t kVoteReadSteps = 16;

// The votes since the epoch began (the loss) or since they were last read (failures, stops), on
// the device; and this rank's own non-finite losses, to say which rank diverged.
struct Tally {
  torch::Tensor loss_sum;  // float64, the epoch's loss so far
  torch::Tensor flags;     // float32 [failed, stop], summed over the group
  torch::Tensor diverged;  // this rank's non-finite losses
  std::int64_t since = 0;  // the first sample of the steps not yet read
};

// What a read of the tally says.
struct StepVote {
  double loss_sum = 0;    // the epoch's loss so far, summed over the samples of its global batches
  bool failed = false;    // some rank failed: all fail the trial together
  bool stop = false;      // some rank was asked to stop: all stop here
  bool diverged = false;  // this rank's loss was not finite
};

// Where an epoch ended: the first sample its group did not train because it was told to stop
// (n when it stopped on the last step), or 0 when it ran through.
struct EpochEnd {
  double loss_sum = 0;
  std::int64_t stopped_at = 0;
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

// One trial on one rank of its group: pytorch/examples' train() loop, with resume and
// checkpoints. Every rank of the group runs the same steps in lockstep.
class Trainer {
 public:
  Trainer(const Assignment& a, cluster::Group& group, const TrialHooks& hooks);
  TrialOutput run(torch::Tensor* final_parameters);

 private:
  void set_up();
  void agree_to_start(const std::string& problem);
  void fault(const char* part) const {
    if (hooks_.fault) hooks_.fault(part);
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
  void resume(const Checkpoint& from);
  void start_stage(std::int64_t stage, const Checkpoint* resumed);
  std::optional<TrialOutput> run_epoch(std::int64_t stage, std::int64_t epoch,
                                       const Checkpoint* part_done);
  EpochEnd train_epoch(std::int64_t epoch, const torch::Tensor& perm, std::int64_t first_sample,
                       double loss_sum, const models::LossWeights& w);
  void step(const torch::Tensor& perm, std::int64_t start, const models::LossWeights& w,
            Tally& tally);
  torch::Tensor forward_backward(const torch::Tensor& perm, std::int64_t start,
                                 const models::LossWeights& w);
  StepVote read(Tally& tally, std::int64_t epoch, std::int64_t end);
  std::string report_epoch(const models::LossWeights& w, double loss_sum, bool with_checkpoint,
                           const std::function<std::string()>& capture);
  std::string capture(std::int64_t stage, std::int64_t epoch, std::int64_t next_sample,
                      double loss_sum, const std::mt19937_64& order_before);
  TrialOutput finish();
  bool goes_on();
  TrialOutput pruned();

  const Assignment& a_;
  const sweeps::TrialConfig& c_;
  cluster::Group& group_;
  const TrialHooks& hooks_;
  const Clock::time_point start_ = Clock::now();
  torch::Device device_ = torch::kCPU;
  const bool root_;
  cluster::Backends own_backends_;  // when the run keeps none across trials
  TrialData data_;
  std::int64_t n_ = 0;  // training samples
  std::shared_ptr<models::AutoencoderImpl> model_;
  cluster::Backend* backend_ = nullptr;
  std::unique_ptr<FlatParameters> flat_;
  std::optional<FlatAdam> opt_;  // the stage's optimizer: fresh state for every stage
  std::mt19937_64 batch_order_;
  double train_seconds_ = 0;
  std::int64_t series_epoch_ = 0;  // epochs counted across stages
  // A failure on this rank outside a step's forward and backward (the optimizer, the root's
  // evaluation or checkpoint): the next step's vote carries it, so the group fails together
  // instead of leaving the other ranks waiting in a collective.
  std::string pending_error_;
  std::string unread_error_;     // this rank's failure in a step whose vote is not read yet
  std::int64_t read_every_ = 1;  // steps between reads of the votes
};

Trainer::Trainer(const Assignment& a, cluster::Group& group, const TrialHooks& hooks)
    : a_(a), c_(a.config), group_(group), hooks_(hooks), root_(group.rank() == 0) {
  std::string problem;
  try {
    set_up();
  } catch (const std::exception& e) {
    problem = *e.what() ? e.what() : "set-up failed";  // empty means ready to the group
  }
  agree_to_start(problem);
  auto& backends = hooks.backends ? *hooks.backends : own_backends_;
  backend_ = backends.get(group, device_, a.collective_timeout_s);
  if (backend_) backend_->broadcast(flat_->values());  // identical replicas, whatever each RNG did
}

// What each rank does alone before the group's first collective. The GPU becomes current first,
// before any tensor or generator touches it.
void Trainer::set_up() {
  auto& world = group_.world();
  device_ = cluster::choose_device(c_.train.device, world.local_rank(), world.local_size(),
                                   static_cast<int>(a_.ranks_per_gpu));
  cluster::use_device(device_);
  fault("setup");
  if (a_.threads > 0) torch::set_num_threads(static_cast<int>(a_.threads));
  torch::manual_seed(static_cast<std::uint64_t>(a_.seed));
  data_ = load_trial_data(c_, device_);
  n_ = data_.train.x.size(0);
  model_ = models::make_autoencoder(c_.model, data_.train_input.size(1), data_.train.x.size(1),
                                    data_.classes);
  model_->to(device_);
  flat_ = std::make_unique<FlatParameters>(model_->parameters(), kVoteScalars);
  read_every_ = hooks_.read_votes_every > 0 ? hooks_.read_votes_every
                : device_.is_cuda()         ? kVoteReadSteps
                                            : 1;
  batch_order_.seed(static_cast<std::uint64_t>(a_.seed));
}

// The ranks of a group say whether they are ready, and on which kind of device, under the
// collective deadline: a rank that failed alone (no GPU on its node, missing data, out of memory)
// fails the trial on every rank, instead of leaving the others in the first collective.
void Trainer::agree_to_start(const std::string& problem) {
  if (group_.size() == 1) {
    if (!problem.empty()) throw std::runtime_error(problem);
    return;
  }
  const double timeout_s = a_.collective_timeout_s;
  const std::string failed = by_rank(group_, group_.gather_strings(problem, timeout_s));
  if (!failed.empty()) throw std::runtime_error(failed);
  const auto kinds = group_.gather_strings(device_.is_cuda() ? "cuda" : "cpu", timeout_s);
  if (std::adjacent_find(kinds.begin(), kinds.end(), std::not_equal_to<>()) != kinds.end())
    throw std::runtime_error("the ranks of one group must train on one kind of device: " +
                             by_rank(group_, kinds) + " (set train.device)");
}

// Every rank of the group loads the same checkpoint, so the replicas stay identical.
void Trainer::resume(const Checkpoint& from) {
  for (std::int64_t stage = 0; stage < from.stage; ++stage) {
    model_->begin_stage(stage);
    model_->end_stage(stage);
  }
  load_tensor_bytes(flat_->values(), from.parameters, "parameters");
  batch_order_ = engine_from_text(from.batch_order);
  set_generator_state(torch::kCPU, from.cpu_rng);
  if (device_.is_cuda() && !from.device_rng.empty()) set_generator_state(device_, from.device_rng);
  train_seconds_ = from.train_seconds;
  series_epoch_ = from.series_epoch;
}

TrialOutput Trainer::run(torch::Tensor* final_parameters) {
  const bool resuming = !a_.checkpoint.empty();
  Checkpoint from;
  if (resuming) {
    from = decode_checkpoint(a_.checkpoint, "trial " + a_.trial_id);
    resume(from);
    if (a_.stopped_early) {
      start_stage(from.stage, &from);  // the model as it stood when it was stopped
      return pruned();
    }
  }
  for (std::int64_t stage = from.stage; stage < model_->stages(); ++stage) {
    const bool resuming_stage = resuming && stage == from.stage;
    start_stage(stage, resuming_stage ? &from : nullptr);
    for (std::int64_t epoch = resuming_stage ? from.stage_epoch + 1 : 1; epoch <= c_.train.epochs;
         ++epoch) {
      // An epoch stopped part-way goes on at its next sample, with its loss sum so far.
      const bool part_done =
          resuming_stage && epoch == from.stage_epoch + 1 && from.next_sample > 0;
      if (auto stopped = run_epoch(stage, epoch, part_done ? &from : nullptr)) return *stopped;
    }
    model_->end_stage(stage);
  }
  if (final_parameters)
    *final_parameters = flat_->values().to(torch::kCPU, /*non_blocking=*/false, /*copy=*/true);
  return root_ ? finish() : TrialOutput{};
}

// The stage's fresh optimizer (what earlier stages trained must not drift), or, resuming, the
// optimizer as the checkpoint left it.
void Trainer::start_stage(std::int64_t stage, const Checkpoint* resumed) {
  carry([&] {
    fault("stage");
    model_->begin_stage(stage);
    opt_.emplace(*flat_, c_.train.lr);
    if (!resumed) return;
    load_tensor_bytes(opt_->exp_avg(), resumed->adam_m, "Adam's first moment");
    load_tensor_bytes(opt_->exp_avg_sq(), resumed->adam_v, "Adam's second moment");
    opt_->set_steps(resumed->adam_steps);
  });
}

// Trains and reports one epoch; returns the trial's output when the group stopped in it.
std::optional<TrialOutput> Trainer::run_epoch(std::int64_t stage, std::int64_t epoch,
                                              const Checkpoint* part_done) {
  ++series_epoch_;
  const auto t_epoch = Clock::now();
  const std::mt19937_64 order_before = batch_order_;  // a mid-epoch checkpoint draws it again
  torch::Tensor perm;
  carry([&] {
    fault("epoch");
    perm = torch::tensor(util::permutation(n_, batch_order_), torch::kInt64).to(device_);
  });
  const models::LossWeights weights{
      c_.loss.beta * models::kl_factor(c_.kl, epoch - 1, c_.train.epochs), c_.loss.lambda};
  const EpochEnd end = train_epoch(epoch, perm, part_done ? part_done->next_sample : 0,
                                   part_done ? part_done->loss_sum : 0.0, weights);
  train_seconds_ += seconds_since(t_epoch);
  auto capture_at = [&](std::int64_t next_sample) {
    return capture(stage, epoch, next_sample, end.loss_sum, order_before);
  };
  const bool stopped_inside = end.stopped_at > 0 && end.stopped_at < n_;
  // Stopped on the epoch's last step: the epoch is whole, so stop after reporting it (unless
  // the trial is done anyway).
  const bool last = stage + 1 == model_->stages() && epoch == c_.train.epochs;
  const bool stop_here = end.stopped_at == n_ && !last;
  std::string checkpoint;
  if (root_ && !stopped_inside)
    carry([&] {
      fault("evaluation");
      checkpoint = report_epoch(weights, end.loss_sum, hooks_.checkpoints || stop_here,
                                [&] { return capture_at(0); });
    });
  // No step follows to carry a failure when the trial ends here: it fails on this rank alone,
  // after the group's last collective.
  const bool ends_here = stopped_inside || stop_here || last;
  if (ends_here && !pending_error_.empty()) throw std::runtime_error(pending_error_);
  if (stopped_inside) return interrupted(root_ ? capture_at(end.stopped_at) : std::string());
  if (stop_here) return interrupted(std::move(checkpoint));
  if (!last && a_.early_stop && !goes_on()) return pruned();
  return std::nullopt;
}

// The group's verdict on going on after this epoch: the root's (rank 0's, through goes_on), which
// every rank then follows. A root whose report failed asks nothing: the next step fails the group.
bool Trainer::goes_on() {
  bool keep = true;
  if (root_ && hooks_.goes_on && pending_error_.empty())
    carry([&] { keep = hooks_.goes_on(series_epoch_); });
  if (group_.size() == 1) return keep;
  return group_.gather_strings(root_ ? (keep ? "1" : "0") : "", a_.collective_timeout_s)[0] == "1";
}

// Stopped early: the final metrics (on the root) are those of the model as it stands.
TrialOutput Trainer::pruned() {
  TrialOutput out = root_ ? finish() : TrialOutput{};
  out.pruned = true;
  return out;
}

EpochEnd Trainer::train_epoch(std::int64_t epoch, const torch::Tensor& perm,
                              std::int64_t first_sample, double loss_sum,
                              const models::LossWeights& w) {
  const auto on = torch::TensorOptions().device(device_);
  Tally tally{torch::full({}, loss_sum, on.dtype(torch::kFloat64)),
              torch::zeros({2}, on.dtype(torch::kFloat32)),
              torch::zeros({}, on.dtype(torch::kInt64)), first_sample};
  const std::int64_t batch_size = c_.train.batch_size;
  std::int64_t steps = 0;
  for (std::int64_t start = first_sample; start < n_; start += batch_size) {
    step(perm, start, w, tally);
    const std::int64_t end = std::min(start + batch_size, n_);
    if (++steps % read_every_ != 0 && end < n_) continue;
    const StepVote vote = read(tally, epoch, end);
    if (vote.stop) return {vote.loss_sum, end};
    if (end == n_) return {vote.loss_sum, 0};
  }
  return {loss_sum, 0};
}

// One optimizer step on the global batch at `start` of the epoch's permutation, of which this
// rank trains its shard; its votes go into the tally. Whatever fails on this rank, here or since
// the last step, fails the trial on every rank at the next read.
void Trainer::step(const torch::Tensor& perm, std::int64_t start, const models::LossWeights& w,
                   Tally& tally) {
  const bool stop = hooks_.should_stop && hooks_.should_stop();
  if (unread_error_.empty()) unread_error_ = std::move(pending_error_);
  pending_error_.clear();
  torch::Tensor loss;
  if (unread_error_.empty()) {
    try {
      loss = forward_backward(perm, start, w);
    } catch (const std::exception& e) {
      unread_error_ = e.what();
    }
  }
  if (!unread_error_.empty()) {
    flat_->zero_grad();  // this rank adds nothing; the group fails at the next read
    loss = torch::zeros({}, torch::TensorOptions().device(device_).dtype(torch::kFloat64));
  }
  auto extra = flat_->extra();
  extra[0].copy_(loss);
  extra[1].fill_(unread_error_.empty() ? 0.0 : 1.0);
  extra[1].add_(loss.isfinite().logical_not());
  extra[2].fill_(stop ? 1.0 : 0.0);
  tally.diverged.add_(loss.isfinite().logical_not());
  if (backend_) {
    backend_->allreduce_sum(flat_->gradients_and_extra());
    tally.loss_sum.add_(extra[0].to(torch::kFloat64));  // the group's, in the float32 slot
  } else {
    tally.loss_sum.add_(loss);
  }
  tally.flags.add_(extra.narrow(0, 1, 2));
  if (!unread_error_.empty()) return;  // failing: its state (the optimizer, say) may be unmade
  carry([&] {
    fault("optimizer");
    opt_->step();
  });
}

// Reads the votes of the steps since the last read (one wait for the device). Fails the trial on
// every rank of the group when any rank failed in them, with every rank's message at the root.
StepVote Trainer::read(Tally& tally, std::int64_t epoch, std::int64_t end) {
  const auto host = torch::cat({tally.loss_sum.reshape({1}), tally.flags.to(torch::kFloat64),
                                tally.diverged.to(torch::kFloat64).reshape({1})})
                        .to(torch::kCPU);
  const auto v = host.accessor<double, 1>();
  const StepVote vote{v[0], v[1] > 0, v[2] > 0, v[3] > 0};
  const std::int64_t bs = c_.train.batch_size;
  if (vote.diverged && unread_error_.empty())
    unread_error_ = "loss is not finite (nan or inf) at epoch " + std::to_string(epoch) +
                    ", steps " + std::to_string(tally.since / bs) + "-" +
                    std::to_string((end - 1) / bs) + " (learning rate " +
                    std::to_string(c_.train.lr) + " too high?)";
  if (vote.failed) fail_together(group_, unread_error_, a_.collective_timeout_s);
  tally.flags.zero_();
  tally.diverged.zero_();
  tally.since = end;
  return vote;
}

// Forward and backward of this rank's shard of the global batch at `start`; returns its loss
// summed over its samples, a float64 scalar on the device (not read: a non-finite one is caught
// when the votes are read). Noise and corruptions are drawn for the whole global batch, alike on
// every rank (even one whose shard is empty): a sample's draw must not depend on the sharding, and
// the ranks' generators must stay in step.
torch::Tensor Trainer::forward_backward(const torch::Tensor& perm, std::int64_t start,
                                        const models::LossWeights& w) {
  const std::int64_t batch = std::min(c_.train.batch_size, n_ - start);
  const auto [begin, end] = cluster::shard(batch, group_.rank(), group_.size());
  flat_->zero_grad();
  fault("noise");
  torch::Tensor noise, corrupted;
  if (model_->noise_dim() > 0)
    noise = torch::randn({batch, model_->noise_dim()}, torch::TensorOptions().device(device_));
  const auto& corruption = c_.corruption;
  if (corruption.kind != sweeps::CorruptionKind::kNone)
    corrupted = models::network_input(
        corruption,
        models::corrupt(corruption, data_.train.x.index_select(0, perm.narrow(0, start, batch)),
                        data_.rows, data_.cols));
  if (end <= begin)
    return torch::zeros({}, torch::TensorOptions().device(device_).dtype(torch::kFloat64));
  fault("loss");
  auto idx = perm.narrow(0, start + begin, end - begin);
  auto input = corrupted.defined() ? corrupted.narrow(0, begin, end - begin)
                                   : data_.train_input.index_select(0, idx);
  models::Batch b{input, data_.train.x.index_select(0, idx), data_.train.y.index_select(0, idx),
                  noise.defined() ? noise.narrow(0, begin, end - begin) : noise};
  auto losses = model_->loss(b, w);
  // Weighted by the shard's share, the group's summed gradient is the global batch's.
  (losses.total * (static_cast<double>(end - begin) / static_cast<double>(batch))).backward();
  return losses.total.detach().to(torch::kFloat64) * static_cast<double>(end - begin);
}

// The epoch's series, reported through on_epoch with its checkpoint; returns the checkpoint
// (empty unless `with_checkpoint`).
std::string Trainer::report_epoch(const models::LossWeights& w, double loss_sum,
                                  bool with_checkpoint,
                                  const std::function<std::string()>& capture) {
  auto [test_err, test_codes] = evaluate(*model_, data_.test_input, data_.test);
  Metrics series = {{"train_loss", loss_sum / static_cast<double>(n_)},
                    {"test_recon_mse", test_err.mean().item<double>()}};
  if (model_->noise_dim() > 0) series.emplace_back("beta", w.beta);
  const std::string checkpoint = with_checkpoint ? capture() : std::string();
  if (hooks_.on_epoch)
    hooks_.on_epoch(series_epoch_, series, hooks_.checkpoints ? checkpoint : std::string());
  return checkpoint;
}

// The trial as it stands, for a checkpoint: after `epoch` of `stage` (next_sample 0), or inside
// it, before sample `next_sample` of its permutation.
std::string Trainer::capture(std::int64_t stage, std::int64_t epoch, std::int64_t next_sample,
                             double loss_sum, const std::mt19937_64& order_before) {
  const bool inside = next_sample > 0;
  Checkpoint k;
  k.trial_id = a_.trial_id;
  k.stage = stage;
  k.stage_epoch = inside ? epoch - 1 : epoch;
  k.series_epoch = inside ? series_epoch_ - 1 : series_epoch_;
  k.next_sample = next_sample;
  k.loss_sum = inside ? loss_sum : 0.0;
  k.train_seconds = train_seconds_;
  k.batch_order = engine_text(inside ? order_before : batch_order_);
  k.cpu_rng = generator_state(torch::kCPU);
  if (device_.is_cuda()) k.device_rng = generator_state(device_);
  k.parameters = tensor_bytes(flat_->values());
  k.adam_steps = opt_->steps();
  k.adam_m = tensor_bytes(opt_->exp_avg());
  k.adam_v = tensor_bytes(opt_->exp_avg_sq());
  return encode_checkpoint(k);
}

// The final metrics and pictures, on the group root.
TrialOutput Trainer::finish() {
  FinalEvaluation eval = evaluate_trial(*model_, data_, c_, a_.seed);
  eval.metrics.emplace_back(
      "samples_per_s", static_cast<double>(n_ * series_epoch_) / std::max(train_seconds_, 1e-9));
  eval.metrics.emplace_back("seconds", seconds_since(start_));
  TrialOutput out;
  out.metrics = std::move(eval.metrics);
  out.artifacts = std::move(eval.artifacts);
  return out;
}

}  // namespace

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
  return Trainer(a, group, hooks).run(final_parameters);
}

}  // namespace runner
