// The store's side of several runs on one database: the runs table and claims (results/leases.h).
#include <ostream>

#include "results/store.h"

namespace results {
namespace {

// A run on this host whose process is gone is dead now, whatever its lease says.
bool dead_here(const RunIdentity& me, const std::string& host, std::int64_t pid,
               std::int64_t start_ticks) {
  return host == me.host && !process_alive(pid, start_ticks);
}

}  // namespace

std::int64_t Store::begin_run(const std::string& sweep, int ranks, double lease_s) {
  me_ = this_process();
  lease_s_ = lease_s;
  auto st = db_.prepare(
      "INSERT INTO runs (sweep, host, pid, start_ticks, slurm_job, ranks, lease_s, started_at, "
      "heartbeat) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
  st.bind(1, sweep).bind(2, me_.host).bind(3, me_.pid).bind(4, me_.start_ticks);
  if (me_.slurm_job.empty())
    st.bind_null(5);
  else
    st.bind(5, me_.slurm_job);
  st.bind(6, static_cast<std::int64_t>(ranks)).bind(7, lease_s).bind(8, now_utc());
  st.bind(9, unix_now()).run();
  run_id_ = sqlite3_last_insert_rowid(db_.handle());
  return run_id_;
}

void Store::end_run() {
  if (run_id_ == 0) return;
  db_.prepare("UPDATE runs SET ended_at = ?, heartbeat = ? WHERE id = ?")
      .bind(1, now_utc())
      .bind(2, unix_now())
      .bind(3, run_id_)
      .run();
}

Holder Store::holder_of(const std::string& id) {
  auto q = db_.prepare(
      "SELECT t.status, t.run_id, t.lease_expires, r.host, r.pid, r.start_ticks, r.heartbeat, "
      "r.lease_s, r.ended_at IS NOT NULL FROM trials t LEFT JOIN runs r ON r.id = t.run_id "
      "WHERE t.id = ?");
  q.bind(1, id);
  if (!q.step()) return Holder::kFinished;  // not in this database: nothing to train
  const std::string status = q.text(0);
  if (status == "completed" || status == "pruned") return Holder::kFinished;
  if (status == "failed") return retry_failed_ ? Holder::kNobody : Holder::kFinished;
  if (status != "running") return Holder::kNobody;
  // Running: a claim without a lease (a run of an older runner, or a claim outside a run), our
  // own, one whose run ended without finishing it, or one whose run died here, is free.
  if (q.column_type(1) == SQLITE_NULL || q.column_type(2) == SQLITE_NULL ||
      q.column_type(3) == SQLITE_NULL || q.integer(1) == run_id_ || q.integer(8) != 0 ||
      dead_here(me_, q.text(3), q.integer(4), q.integer(5)))
    return Holder::kNobody;
  const double now = unix_now();
  if (q.real(2) < now) return Holder::kNobody;
  // Renewed every lease_s / 4: two renewals missed and that run may be gone.
  return now - q.real(6) > q.real(7) / 2 ? Holder::kQuietRun : Holder::kLiveRun;
}

bool Store::claim(const std::string& id) {
  Transaction tx(db_);
  if (holder_of(id) != Holder::kNobody) return false;
  auto st = db_.prepare(
      "UPDATE trials SET status = 'running', run_id = ?, lease_expires = ? WHERE id = ?");
  if (run_id_ == 0) {
    st.bind_null(1).bind_null(2);
  } else {
    st.bind(1, run_id_).bind(2, unix_now() + lease_s_);
  }
  st.bind(3, id).run();
  tx.commit();
  return true;
}

void Store::set_aside(const std::string& id) {
  db_.prepare("UPDATE trials SET attempts = attempts - 1 WHERE id = ?").bind(1, id).run();
}

void Store::set_array(const std::vector<std::string>& ids) {
  Transaction tx(db_);
  auto st = db_.prepare("UPDATE trials SET array_id = ? WHERE id = ?");
  for (const auto& id : ids) {
    st.bind(1, ids.front()).bind(2, id).run();
    st.reset();
  }
  tx.commit();
}

bool Store::holds(const std::string& id) {
  if (run_id_ == 0) return true;
  auto q = db_.prepare("SELECT run_id = ? AND status = 'running' FROM trials WHERE id = ?");
  q.bind(1, run_id_).bind(2, id);
  return q.step() && q.integer(0) != 0;
}

std::vector<std::pair<std::string, std::int64_t>> Store::held_elsewhere(const std::string& sweep) {
  auto q = db_.prepare(
      "SELECT id, run_id FROM trials WHERE sweep = ? AND status = 'running' AND run_id IS NOT "
      "NULL AND run_id != ? ORDER BY run_id, id");
  q.bind(1, sweep).bind(2, run_id_);
  std::vector<std::pair<std::string, std::int64_t>> out;
  while (q.step())
    if (const auto h = holder_of(q.text(0)); h == Holder::kLiveRun || h == Holder::kQuietRun)
      out.emplace_back(q.text(0), q.integer(1));
  return out;
}

std::vector<RunRow> open_runs(Database& db, const std::string& sweep) {
  const RunIdentity me = this_process();
  auto q = db.prepare(
      "SELECT id, host, pid, start_ticks, coalesce(slurm_job, ''), ranks, started_at, heartbeat, "
      "lease_s FROM runs WHERE sweep = ? AND ended_at IS NULL ORDER BY id");
  auto trials = db.prepare("SELECT id FROM trials WHERE run_id = ? AND status = 'running'");
  std::vector<RunRow> out;
  const double now = unix_now();
  q.bind(1, sweep);
  while (q.step()) {
    RunRow r;
    r.id = q.integer(0);
    r.host = q.text(1);
    r.pid = q.integer(2);
    r.slurm_job = q.text(4);
    r.ranks = q.integer(5);
    r.started_at = q.text(6);
    r.quiet_s = now - q.real(7);
    r.lease_s = q.real(8);
    r.live = r.quiet_s <= r.lease_s && !dead_here(me, r.host, r.pid, q.integer(3));
    trials.bind(1, r.id);
    while (trials.step()) r.trials.push_back(trials.text(0));
    trials.reset();
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace results
