// The Trainer's side of population-based training (runner/train/trainer.h; rank 0's side is
// runner/record/pbt.h): a member takes another's weights and Adam state, from the same array in
// memory or from a checkpoint, and its changing keys take new values from the next epoch on. Its
// own seed, data order and generators go on as before.
#include <boost/serialization/utility.hpp>
#include <boost/serialization/vector.hpp>
#include <stdexcept>

#include "runner/archive.h"
#include "runner/train/trainer.h"
#include "sweeps/schema.h"

namespace runner {

void Trainer::take_decisions() {
  std::vector<Exploit> decisions(members_.size());
  if (root_)
    for (std::size_t k = 0; k < members_.size(); ++k)
      if (members_[k].active && members_[k].hooks->exploit && pending_error_.empty())
        carry([&] { decisions[k] = members_[k].hooks->exploit(series_epoch_); });
  if (group_.size() > 1)
    decisions = unpack<std::vector<Exploit>>(group_.gather_strings(
        root_ ? pack(decisions) : "", members_[0].a->collective_timeout_s)[0]);
  carry([&] { apply_decisions(decisions); });
}

// Resumed at a decision's epoch: the checkpoint was captured before it, so it is taken again.
// Every rank of the group holds the assignments, so each applies them without a collective.
void Trainer::take_resumed_decisions() {
  std::vector<Exploit> decisions;
  for (const auto& m : members_) decisions.push_back(m.a->resume_exploit);
  carry([&] { apply_decisions(decisions); });
}

void Trainer::apply_decisions(const std::vector<Exploit>& decisions) {
  using State = std::vector<torch::Tensor>;  // values, Adam's first and second moments
  auto buffers = [&] {
    return std::vector<torch::Tensor*>{&flat_->values(), &opt_->exp_avg(), &opt_->exp_avg_sq()};
  };
  // Sources in this array first, each as it stands now, before any member's slice changes.
  std::vector<State> taken(decisions.size());
  for (std::size_t k = 0; k < decisions.size(); ++k) {
    const Exploit& d = decisions[k];
    if (d.source.empty() || !d.checkpoint.empty()) continue;
    std::size_t j = 0;
    while (j < members_.size() && !(members_[j].active && members_[j].a->trial_id == d.source)) ++j;
    if (j == members_.size() || d.source_epoch != series_epoch_ || !fused())
      throw std::runtime_error("trial " + members_[k].a->trial_id + " was to take trial " +
                               d.source + " at epoch " + std::to_string(d.source_epoch) +
                               ", which is not training in its array at that epoch");
    for (auto* b : buffers()) taken[k].push_back(member_of(*b, j));
  }
  for (std::size_t k = 0; k < decisions.size(); ++k) {
    const Exploit& d = decisions[k];
    if (!d.source.empty() && d.checkpoint.empty()) {
      auto b = buffers();
      for (std::size_t i = 0; i < b.size(); ++i)
        flat_->set_member(*b[i], static_cast<std::int64_t>(k), taken[k][i]);
    } else if (!d.source.empty()) {
      const Checkpoint c = decode_checkpoint(d.checkpoint, "trial " + d.source);
      load_member(flat_->values(), k, c.parameters, "parameters");
      load_member(opt_->exp_avg(), k, c.adam_m, "Adam's first moment");
      load_member(opt_->exp_avg_sq(), k, c.adam_v, "Adam's second moment");
    }
    for (const auto& [key, value] : d.keys)
      sweeps::find_key(key)->set(members_[k].config, sweeps::Value{value});
  }
}

}  // namespace runner
