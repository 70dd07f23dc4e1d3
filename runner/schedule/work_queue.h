#pragma once
// The trials a run may still train, in order, and those it found held by other runs. Each is
// claimed only when a group is free to train it, so runs sharing the database never repeat one.
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "runner/schedule/clock.h"
#include "runner/schedule/scheduler.h"

namespace runner {

class WorkQueue {
 public:
  WorkQueue(const std::vector<Assignment>& todo, Sink& sink, const Clock& clock)
      : queue_(todo.begin(), todo.end()), sink_(sink), clock_(clock), last_look_(clock.now_s()) {}

  // The next trials this run claims for `ranks`: the next one, and when `fuse` > 1 and its model
  // fuses, the next ones that may join it (runner/schedule/arrays.h). With the queue empty, a
  // search proposes them. A claimed trial that
  // resumes from another point than the first is set aside for a later array. None when every
  // trial left is held elsewhere.
  std::vector<Assignment> next_array(const std::vector<int>& ranks,
                                     const std::vector<std::string>& hosts, std::int64_t fuse);
  // A trial whose group went silent: first in line again.
  void put_back(Assignment a) { queue_.push_front(std::move(a)); }
  // Trials left, or a search that may propose more.
  bool has_work() const { return !queue_.empty() || sink_.may_propose(); }
  // Whether some trial left is held by a run that has missed renewals: it may be dead, and its
  // trials come free when its leases lapse, so this run waits for them.
  bool worth_waiting() const { return quiet_; }
  // Takes back the trials other runs released (interrupted, or lost with their run) and forgets
  // those they finished; at most every kLookElsewhereS, unless `now_anyway`.
  void look_elsewhere(bool now_anyway = false);

  static constexpr double kLookElsewhereS = 1;

 private:
  // The next trial this run claims for `ranks`, if any.
  bool next(const std::vector<int>& ranks, const std::vector<std::string>& hosts,
            Assignment& out);
  // Claims `a`; a trial another run holds is set aside, one that has ended is forgotten.
  bool claim(Assignment& a, const std::vector<int>& ranks, const std::vector<std::string>& hosts);

  std::deque<Assignment> queue_;
  std::deque<Assignment> elsewhere_;
  Sink& sink_;
  const Clock& clock_;
  double last_look_;
  bool quiet_ = false;
};

}  // namespace runner
