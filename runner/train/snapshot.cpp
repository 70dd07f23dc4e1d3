// The Trainer's resume and checkpoints (runner/train/trainer.h): every rank of a group loads the
// same checkpoints, and the group root captures each member exactly as it would stand alone.
#include "runner/train/trainer.h"

#include <stdexcept>

namespace runner {

void Trainer::load_member(torch::Tensor& buffer, std::size_t k, const std::string& bytes,
                          const char* what) const {
  auto alone = torch::empty({buffer.numel() / k_members()}, buffer.options());
  load_tensor_bytes(alone, bytes, what);
  flat_->set_member(buffer, static_cast<std::int64_t>(k), alone);
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
    // A checkpoint made on a CPU has no CUDA generator: the member keeps its own, seeded as built.
    if (device_.is_cuda() && !c.device_rng.empty()) members_[k].device_rng = c.device_rng;
  }
  if (!fused()) {
    set_generator_state(torch::kCPU, first.cpu_rng);
    if (device_.is_cuda() && !first.device_rng.empty())
      set_generator_state(device_, first.device_rng);
  }
  train_seconds_ = first.train_seconds;
  series_epoch_ = first.series_epoch;
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

}  // namespace runner
