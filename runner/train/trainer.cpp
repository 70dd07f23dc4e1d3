#include "runner/train/trainer.h"

#include <algorithm>
#include <stdexcept>

#include "cluster/data_parallel.h"
#include "models/family.h"
#include "models/schedules.h"
#include "runner/train/evaluation.h"
#include "sweeps/schema.h"
#include "util/shuffle.h"
#include "util/timer.h"

namespace runner {
namespace {

using util::seconds_since;

TrialOutput interrupted(std::string checkpoint) {
  TrialOutput out;
  out.interrupted = true;
  out.checkpoint = std::move(checkpoint);
  return out;
}

}  // namespace

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
    members_.back().config = members[k].config;
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
  setup_seconds_ = seconds_since(start_);
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
  // Only when it changes: LibTorch re-creates its thread pool at every call, and the new
  // threads spinning beside OpenMP's slowed the first steps after it by ~13 ms on 2 cores.
  if (a.threads > 0 && a.threads != torch::get_num_threads())
    torch::set_num_threads(static_cast<int>(a.threads));
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
    if (resuming_stage) take_resumed_decisions();
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
      lrs.push_back(m.active ? m.config.train.lr : 0.0);
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
  for (std::size_t k = 0; k < members_.size(); ++k) {
    Member& m = members_[k];
    m.order_before = m.batch_order;
    m.weights = models::epoch_weights(m.config, epoch);
    const double lr = models::epoch_lr(m.config, epoch);
    if (opt_ && m.active && lr != opt_->member_lr(k)) opt_->set_member_lr(k, lr);
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
  const auto t_epoch = std::chrono::steady_clock::now();
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
        util::AddSeconds timed(m.costs.evaluation);
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
  if (any_active() &&
      decides_at(members_[0].a->pbt_interval, series_epoch_, models::series_epochs(c_)))
    take_decisions();
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

// A member's epoch series, reported through its on_epoch with its checkpoint; returns the
// checkpoint (empty unless `with_checkpoint`).
std::string Trainer::report_epoch(std::size_t k, double loss_sum, bool with_checkpoint,
                                  const std::function<std::string()>& capture) {
  Member& m = members_[k];
  const auto test = evaluate(*m.model, data_.test_input, data_.test, false);
  Metrics series = {{"train_loss", loss_sum / static_cast<double>(n_)},
                    {"test_recon_mse", test.errors.mean().item<double>()}};
  if (m.model->noise_dim() > 0) series.emplace_back("beta", m.weights.beta);
  if (test.kl.defined())  // the test ELBO (beta 1): what a schedule of beta is judged by
    series.emplace_back("test_elbo", test_elbo(test, data_.test.x.size(1)));
  for (const auto& key : m.a->pbt_keys)  // the keys it trained this epoch with
    series.emplace_back(key, std::get<double>(sweeps::find_key(key)->get(m.config)));
  std::string checkpoint;
  if (with_checkpoint) {
    util::AddSeconds timed(m.costs.checkpoints);
    checkpoint = capture();
  }
  if (m.hooks->on_epoch)
    m.hooks->on_epoch(series_epoch_, series, m.hooks->checkpoints ? checkpoint : std::string());
  return checkpoint;
}

// A member's final metrics and pictures, on the group root.
TrialOutput Trainer::finish(std::size_t k) {
  Member& m = members_[k];
  FinalEvaluation eval;
  // With the member's generator: what the evaluation draws (the probe's initial weights) is
  // what it would draw alone.
  with_rng(m, [&] { eval = evaluate_trial(*m.model, data_, m.config, m.a->seed); });
  eval.metrics.emplace_back(
      "samples_per_s", static_cast<double>(n_ * series_epoch_) / std::max(train_seconds_, 1e-9));
  eval.metrics.emplace_back("seconds", seconds_since(start_));
  // Where it went. What the members of an array share (set-up, training steps) is split evenly;
  // the per-epoch test error and the checkpoints (during the report, so the evaluation's time
  // excludes them) are each member's own.
  const double share = 1.0 / static_cast<double>(members_.size());
  eval.metrics.emplace_back("seconds_setup", setup_seconds_ * share);
  eval.metrics.emplace_back("seconds_train", train_seconds_ * share);
  eval.metrics.emplace_back("seconds_evaluation", m.costs.evaluation - m.costs.checkpoints);
  eval.metrics.emplace_back("seconds_checkpoints", m.costs.checkpoints);
  for (auto& timing : eval.seconds) eval.metrics.push_back(std::move(timing));
  TrialOutput out;
  out.metrics = std::move(eval.metrics);
  out.artifacts = std::move(eval.artifacts);
  return out;
}

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
