#include "runner/schedule/work_queue.h"

#include "runner/schedule/arrays.h"

namespace runner {
namespace {

// Whether a claimed trial can train in an array begun by `first`: both go on from one point (a
// trial stopped early ends where it stands, and joins no array).
bool same_start(const Assignment& first, const Assignment& a) {
  return !first.stopped_early && !a.stopped_early && a.resume == first.resume;
}

}  // namespace

bool WorkQueue::next(const std::vector<int>& ranks, const std::vector<std::string>& hosts,
                     Assignment& out) {
  while (!queue_.empty()) {
    out = std::move(queue_.front());
    queue_.pop_front();
    if (claim(out, ranks, hosts)) return true;
  }
  while (sink_.propose(out))
    if (claim(out, ranks, hosts)) return true;
  return false;
}

std::vector<Assignment> WorkQueue::next_array(const std::vector<int>& ranks,
                                              const std::vector<std::string>& hosts,
                                              std::int64_t fuse) {
  std::vector<Assignment> array(1);
  if (!next(ranks, hosts, array[0])) return {};
  const std::string shape = array[0].shape;
  fuse = fuse_within(fuse, array[0].fuse_limit);
  std::deque<Assignment> later;  // claimed, but resuming from elsewhere: set aside
  // Until the array is full (at once for a trial that trains alone).
  for (auto it = queue_.begin(); it != queue_.end() && may_join(shape, shape, array.size(), fuse);) {
    if (it->shape != shape) {
      ++it;
      continue;
    }
    Assignment a = std::move(*it);
    it = queue_.erase(it);
    if (!claim(a, ranks, hosts)) continue;
    if (same_start(array[0], a)) {
      array.push_back(std::move(a));
    } else {
      sink_.set_aside(a.trial_id);
      later.push_back(std::move(a));
    }
  }
  queue_.insert(queue_.begin(), later.begin(), later.end());
  // The rest of the array from the search: each proposal sees the ones before it as running.
  Assignment a;
  const bool fresh = !array[0].stopped_early && array[0].resume == ResumePoint{};
  while (fresh && queue_.empty() && may_join(shape, shape, array.size(), fuse) &&
         sink_.propose(a)) {
    if (a.shape != shape) {  // for a later group
      queue_.push_back(std::move(a));
      break;
    }
    if (claim(a, ranks, hosts)) array.push_back(std::move(a));
  }
  if (array.size() > 1) sink_.formed_array(array);
  return array;
}

void WorkQueue::look_elsewhere(bool now_anyway) {
  const double now = clock_.now_s();
  if (elsewhere_.empty() || (!now_anyway && now - last_look_ < kLookElsewhereS)) return;
  last_look_ = now;
  quiet_ = false;
  for (auto it = elsewhere_.begin(); it != elsewhere_.end();) {
    const auto holder = sink_.holder(it->trial_id);
    quiet_ = quiet_ || holder == results::Holder::kQuietRun;
    if (holder == results::Holder::kNobody) queue_.push_back(std::move(*it));
    if (holder == results::Holder::kNobody || holder == results::Holder::kFinished)
      it = elsewhere_.erase(it);
    else
      ++it;
  }
}

bool WorkQueue::claim(Assignment& a, const std::vector<int>& ranks,
                      const std::vector<std::string>& hosts) {
  if (sink_.started(a, ranks, hosts)) return true;
  if (sink_.holder(a.trial_id) != results::Holder::kFinished) elsewhere_.push_back(std::move(a));
  return false;
}

}  // namespace runner
