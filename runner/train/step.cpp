#include <stdexcept>

#include "cluster/data_parallel.h"
#include "models/corruptions.h"
#include "runner/train/trainer.h"

// A step of the Trainer (runner/train/trainer.h): forward and backward of every member, the
// group's allreduce with its votes, and what reading the votes decides.
namespace runner {

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
  // The buffer was zeroed for the step: only a member told to stop is written (rarely).
  for (std::int64_t k = 0; k < k_all; ++k)
    if (stops[k] > 0) extra[k_all + 1 + k].fill_(1.0);
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

// Reads the votes of the steps since the last read (one wait for the device). Fails the array on
// every rank of the group when any rank failed in them, with every rank's message at the root.
StepVote Trainer::read(Tally& tally, std::int64_t epoch, std::int64_t end) {
  if (backend_) backend_->finish();  // under the deadline, not inside the copy below
  const StepVote vote = read_tally(tally, k_members(), !fused());
  if (vote.diverged && unread_error_.empty())
    unread_error_ = not_finite(epoch, tally.since, end, c_.train.batch_size,
                               opt_ ? opt_->member_lr(0) : c_.train.lr);
  if (vote.failed) fail_together(group_, unread_error_, members_[0].a->collective_timeout_s);
  if (fused()) drop_diverged(vote, epoch, tally.since, end);
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
    out.error = not_finite(epoch, since, end, c_.train.batch_size, members_[k].config.train.lr);
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
  return fused() ? forward_backward_fused(start, batch, begin, end)
                 : forward_backward_alone(start, batch, begin, end);
}

// A trial alone: its noise and corruption drawn for the whole global batch from LibTorch's
// generator, then its shard's loss.
torch::Tensor Trainer::forward_backward_alone(std::int64_t start, std::int64_t batch,
                                              std::int64_t begin, std::int64_t end) {
  Member& m = members_[0];
  const auto on = torch::TensorOptions().device(device_);
  torch::Tensor noise, corrupted;
  if (m.model->noise_dim() > 0) noise = torch::randn({batch, m.model->noise_dim()}, on);
  const auto& corruption = m.config.corruption;
  if (corruption.kind != sweeps::CorruptionKind::kNone)
    corrupted = models::network_input(
        corruption,
        models::corrupt(corruption, data_.train.x.index_select(0, m.perm.narrow(0, start, batch)),
                        data_.rows, data_.cols));
  if (end <= begin) return torch::zeros({1}, on.dtype(torch::kFloat64));
  fault("loss");
  auto idx = m.perm.narrow(0, start + begin, end - begin);
  const auto target = data_.train.x.index_select(0, idx);
  auto input = corrupted.defined()                        ? corrupted.narrow(0, begin, end - begin)
               : data_.train_input.is_same(data_.train.x) ? target
                                                          : data_.train_input.index_select(0, idx);
  models::Batch b{input, target, data_.train.y.index_select(0, idx),
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
    const auto& corruption = m.config.corruption;
    torch::Tensor noise = torch::zeros({batch, noise_dim}, on), input;
    const bool draws = noise_dim > 0 || corruption.kind != sweeps::CorruptionKind::kNone;
    if (m.active && draws)
      with_rng(m, /*host_too=*/!device_.is_cuda(), [&] {
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
  const auto target = data_.train.x.index_select(0, all).view({k_all, len, -1});
  // Without the mask as input the network sees the images themselves: gathered once.
  const bool input_is_target = data_.train_input.is_same(data_.train.x);
  models::FusedBatch b{corrupted ? torch::stack(inputs)
                       : input_is_target
                           ? target
                           : data_.train_input.index_select(0, all).view({k_all, len, -1}),
                       target, data_.train.y.index_select(0, all).view({k_all, len}),
                       noise_dim > 0 ? torch::stack(noises) : torch::Tensor()};
  const auto losses = fused_model_->loss(b, fused_weights_);
  const auto mine = losses.total.index_select(0, active_);
  (mine.sum() * (static_cast<double>(len) / static_cast<double>(batch))).backward();
  return sums.index_copy_(0, active_, mine.detach().to(torch::kFloat64) * static_cast<double>(len));
}

}  // namespace runner
