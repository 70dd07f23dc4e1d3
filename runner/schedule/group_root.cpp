#include "runner/schedule/group_root.h"

#include <map>
#include <memory>
#include <optional>
#include <set>

#include "cluster/signals.h"
#include "runner/schedule/clock.h"
#include "runner/schedule/messages.h"
#include "util/poll.h"

namespace runner {
namespace {

constexpr std::size_t kReportsInFlight = 4;  // a group root's reports rank 0 has not taken yet

// Sends a group root's news to rank 0 without waiting for rank 0 to take it (a report carries a
// checkpoint of megabytes), with at most kReportsInFlight not yet taken.
void send_report(cluster::MpiContext& mpi, int tag, std::string bytes) {
  auto& box = mpi.reports();
  box.reap_posted();
  if (box.posted() >= kReportsInFlight) box.wait_posted(-1);
  box.post(0, tag, std::move(bytes));
}

// What a group root hears from rank 0 while it trains, shared by the hooks of its trial or of
// every member of its array.
struct RootInbox {
  std::set<std::string> told;  // members rank 0 told to stop (another run took them over)
  bool all = false;            // told to stop everything (the run stops)
  // Rank 0's verdicts by (trial, epoch), kept until their member asks for them.
  std::map<std::pair<std::string, std::int64_t>, Verdict> verdicts;
  double last_sent = steady_clock().now_s();  // the root's last message to rank 0
};

// Waits for rank 0's verdict on an epoch the root reported. The members of an array ask in turn,
// so a verdict for another is kept for it.
Verdict& verdict_on(cluster::MpiContext& mpi, RootInbox& inbox, const std::string& trial_id,
                    std::int64_t epoch) {
  const auto key = std::make_pair(trial_id, epoch);
  while (inbox.verdicts.count(key) == 0) {
    std::optional<cluster::Message> m;
    util::poll_until(
        [&] { return (m = mpi.commands().take_if_waiting(0, kTagVerdict)).has_value(); }, -1,
        util::kMessageBackoff);
    auto v = unpack<Verdict>(m->bytes);
    inbox.verdicts[{v.trial_id, v.epoch}] = std::move(v);
  }
  return inbox.verdicts[key];
}

// The root's side of one trial, or of one member of an array: stop when rank 0 says so, report
// epochs, say it lives.
TrialHooks root_hooks(cluster::MpiContext& mpi, const Assignment& a,
                      const std::shared_ptr<RootInbox>& inbox) {
  TrialHooks hooks;
  const double interval = a.heartbeat_s / 4;
  hooks.should_stop = [&mpi, interval, inbox, id = a.trial_id] {
    // One for a trial that has ended is dropped with the inbox.
    while (auto m = mpi.commands().take_if_waiting(0, kTagInterrupt)) {
      if (m->bytes.empty())
        inbox->all = true;
      else
        inbox->told.insert(m->bytes);
    }
    if (steady_clock().now_s() - inbox->last_sent > interval) {
      send_report(mpi, kTagHeartbeat, "");
      inbox->last_sent = steady_clock().now_s();
    }
    return inbox->all || inbox->told.count(id) > 0 || cluster::stop_requested();
  };
  hooks.goes_on = [&mpi, inbox, id = a.trial_id](std::int64_t epoch) {
    return verdict_on(mpi, *inbox, id, epoch).goes_on;
  };
  // Asked after goes_on, so the verdict is there; taken, as a decision is applied once.
  hooks.exploit = [&mpi, inbox, id = a.trial_id](std::int64_t epoch) {
    Exploit e = std::move(verdict_on(mpi, *inbox, id, epoch).exploit);
    inbox->verdicts.erase({id, epoch});
    return e;
  };
  hooks.checkpoints = true;
  hooks.on_epoch = [&mpi, inbox, id = a.trial_id](std::int64_t epoch, const Metrics& v,
                                                  const std::string& checkpoint) {
    send_report(mpi, kTagEpoch, pack(EpochReport{id, epoch, v, checkpoint}));
    inbox->last_sent = steady_clock().now_s();
  };
  return hooks;
}

}  // namespace

// A group root takes work from rank 0 and passes it on to its members; members take it from
// their root. Every rank of the group then trains it together: one trial, or a fused array.
void run_group(cluster::MpiContext& mpi, cluster::Group& group, const Executors& ex) {
  double idle_since = steady_clock().now_s();
  bool first = true;
  while (true) {
    cluster::Message m = group.rank() == 0 ? mpi.commands().receive() : group.receive();
    if (group.rank() == 0)
      for (int r = 1; r < group.size(); ++r) group.send(r, m.tag, m.bytes);
    if (m.tag == kTagStop) {
      mpi.reports().wait_posted(-1);
      return;
    }
    if (m.tag != kTagAssign) continue;  // an interrupt that came after its trial had ended
    double waited = first ? -1 : steady_clock().now_s() - idle_since;
    first = false;
    const auto members = unpack<std::vector<Assignment>>(m.bytes);
    std::vector<TrialHooks> hooks(members.size());
    if (group.rank() != 0) {
      // The root reports the trials, including why they failed on any rank; a member stops when
      // its own signal says so, and the group agrees on it within the step.
      for (auto& h : hooks) h.should_stop = cluster::stop_requested;
      execute_members(members, group, ex, hooks, [](std::size_t, TrialResult) {});
      continue;
    }
    const auto inbox = std::make_shared<RootInbox>();
    for (std::size_t k = 0; k < members.size(); ++k) hooks[k] = root_hooks(mpi, members[k], inbox);
    execute_members(members, group, ex, hooks, [&](std::size_t, TrialResult r) {
      r.dispatch_wait_s = waited;  // the group's first result carries it
      waited = -1;
      send_report(mpi, kTagResult, pack(r));
    });
    idle_since = steady_clock().now_s();
  }
}

}  // namespace runner
