#include "runner/train/vote.h"

#include <stdexcept>

namespace runner {

StepVote read_tally(Tally& tally, std::int64_t members, bool alone) {
  const std::int64_t k_all = members;
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
  vote.diverged = alone && v[2 * k_all + 1] > 0;
  tally.flags.zero_();
  tally.diverged.zero_();
  return vote;
}

std::string by_rank(const cluster::Group& group, const std::vector<std::string>& all) {
  std::string joined;
  for (std::size_t r = 0; r < all.size(); ++r)
    if (!all[r].empty())
      joined += (joined.empty() ? "" : "; ") + std::string("rank ") +
                std::to_string(group.world_ranks()[r]) + ": " + all[r];
  return joined;
}

[[noreturn]] void fail_together(cluster::Group& group, const std::string& mine, double timeout_s) {
  if (group.size() == 1) throw std::runtime_error(mine);
  const std::string joined = by_rank(group, group.gather_strings(mine, timeout_s));
  throw std::runtime_error(group.rank() == 0 ? joined : "failed on another rank of the group");
}

std::string not_finite(std::int64_t epoch, std::int64_t since, std::int64_t end,
                       std::int64_t batch_size, double lr) {
  return "loss is not finite (nan or inf) at epoch " + std::to_string(epoch) + ", steps " +
         std::to_string(since / batch_size) + "-" + std::to_string((end - 1) / batch_size) +
         " (learning rate " + std::to_string(lr) + " too high?)";
}
}  // namespace runner
