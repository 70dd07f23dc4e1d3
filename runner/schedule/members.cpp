#include "runner/schedule/members.h"

#include <exception>

namespace runner {
namespace {

TrialResult failed_result(const Assignment& a, const std::string& what, cluster::Group& group) {
  auto& mpi = group.world();
  TrialResult r;
  r.trial_id = a.trial_id;
  r.outcome = Outcome::kFailed;
  r.error = what + " [rank " + std::to_string(mpi.rank()) + " on " + mpi.host() + "]";
  return r;
}

TrialResult result_of(const Assignment& a, TrialOutput out, cluster::Group& group) {
  if (!out.error.empty()) return failed_result(a, out.error, group);
  TrialResult r;
  r.trial_id = a.trial_id;
  r.outcome = out.interrupted ? Outcome::kInterrupted
              : out.pruned    ? Outcome::kPruned
                              : Outcome::kCompleted;
  r.checkpoint = std::move(out.checkpoint);
  r.final_metrics = std::move(out.metrics);
  r.artifacts = std::move(out.artifacts);
  return r;
}

}  // namespace

void execute_members(const std::vector<Assignment>& members, cluster::Group& group,
                     const Executors& ex, const std::vector<TrialHooks>& hooks,
                     const std::function<void(std::size_t, TrialResult)>& leave) {
  if (members.size() == 1) {
    TrialResult r;
    try {
      r = result_of(members[0], ex.one(members[0], group, hooks[0]), group);
    } catch (const std::exception& e) {
      r = failed_result(members[0], e.what(), group);
    }
    return leave(0, std::move(r));
  }
  std::vector<char> left(members.size(), 0);
  std::exception_ptr leave_failed;
  try {
    ex.array(members, group, hooks, [&](std::size_t k, TrialOutput out) {
      left[k] = 1;
      try {
        leave(k, result_of(members[k], std::move(out), group));
      } catch (...) {
        if (!leave_failed) leave_failed = std::current_exception();
      }
    });
  } catch (const std::exception& e) {
    for (std::size_t k = 0; k < members.size() && !leave_failed; ++k)
      if (!left[k]) leave(k, failed_result(members[k], e.what(), group));
  }
  if (leave_failed) std::rethrow_exception(leave_failed);
}

}  // namespace runner
