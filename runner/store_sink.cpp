#include "runner/store_sink.h"

#include "results/artifacts.h"
#include "util/files.h"

namespace runner {
namespace {

std::string metric_text(const Metrics& m, const std::string& name, int digits) {
  const auto v = util::find_metric(m, name);
  return v ? util::format_fixed(*v, digits) : "-";
}

}  // namespace

StoreSink::StoreSink(results::Store& store, const Plan& plan, std::size_t todo, std::ostream& out,
                     bool keep_checkpoints)
    : store_(store),
      plan_(plan),
      out_(out),
      checkpoints_(store.db().path(), plan.spec.name),
      keep_checkpoints_(keep_checkpoints),
      todo_(todo) {
  for (std::size_t i = 0; i < plan.trials.size(); ++i) index_[plan.trials[i].id] = i;
}

std::string StoreSink::started(const Assignment& a, const std::vector<int>& ranks,
                               const std::string& host) {
  std::string bytes;
  auto from = checkpoints_.load(a.trial_id, bytes, out_);
  // Rank 0 commits an epoch before its checkpoint, so a sound checkpoint never runs ahead of the
  // series. One that does belongs to another database (say, one deleted and started afresh).
  if (from && !store_.has_epochs_through(a.trial_id, from->series_epoch)) {
    out_ << "warning: " << checkpoints_.path(a.trial_id) << " is at epoch " << from->series_epoch
         << " but the database lacks epochs before it; trial " << a.trial_id
         << " starts from epoch 0" << std::endl;
    checkpoints_.remove(a.trial_id);
    from.reset();
    bytes.clear();
  }
  const std::int64_t resume_epoch = from ? from->series_epoch : 0;
  store_.mark_running(a.trial_id, ranks, host, resume_epoch);
  out_ << (from ? "resume   " : "start    ") << a.trial_id << " on rank " << ranks.front() << " ("
       << host << ")  ";
  if (from)
    out_ << "from epoch " << resume_epoch
         << (from->next_sample > 0 ? " + " + std::to_string(from->next_sample) + " samples" : "")
         << "  ";
  out_ << describe(plan_, plan_.trials[index_.at(a.trial_id)]) << std::endl;
  return bytes;
}

void StoreSink::epoch(const EpochReport& r) {
  // The row before the checkpoint: a crash in between leaves a checkpoint one epoch behind the
  // series, and that epoch is trained again and recorded the same, never a gap in the series.
  store_.add_epoch(r.trial_id, r.epoch, r.values);
  if (!r.checkpoint.empty()) checkpoints_.save(r.trial_id, r.checkpoint);
  out_ << "epoch    " << r.trial_id << " " << r.epoch << "/"
       << plan_.configs[index_.at(r.trial_id)].train.epochs;
  for (const auto& [k, v] : r.values) out_ << "  " << k << "=" << util::format_fixed(v, 5);
  out_ << std::endl;
}

void StoreSink::finished(const TrialResult& r) {
  if (r.outcome == Outcome::kInterrupted) {  // not done: it goes on when the sweep runs again
    ++interrupted_;
    if (!r.checkpoint.empty()) checkpoints_.save(r.trial_id, r.checkpoint);
    store_.interrupt(r.trial_id);
    out_ << "stopped  " << r.trial_id << "  interrupted; checkpoint "
         << checkpoints_.path(r.trial_id) << std::endl;
    return;
  }
  ++done_;
  const std::string progress = "[" + std::to_string(done_) + "/" + std::to_string(todo_) + "]";
  if (r.outcome == Outcome::kCompleted) {
    // Files first, then the row that points at them: a crash in between leaves a stray file,
    // never a row without its file.
    const std::string& db = store_.db().path();
    const auto slash = db.rfind('/');
    const std::string dir = slash == std::string::npos ? "" : db.substr(0, slash + 1);
    const std::string folder = results::beside_database(db, ".artifacts/" + r.trial_id + "/");
    results::ArtifactPaths paths;
    for (const auto& [kind, bytes] : r.artifacts) {
      const std::string file = folder + kind + ".png";
      util::write_file_atomically(file, bytes);
      paths.emplace_back(kind, file.substr(dir.size()));
    }
    store_.complete(r.trial_id, r.final_metrics, paths);
    out_ << "done     " << r.trial_id << " " << progress
         << "  recon_mse=" << metric_text(r.final_metrics, "recon_mse", 5)
         << "  probe_accuracy=" << metric_text(r.final_metrics, "probe_accuracy", 4)
         << "  seconds=" << metric_text(r.final_metrics, "seconds", 1) << std::endl;
  } else {
    ++failed_;
    store_.fail(r.trial_id, r.error);
    out_ << "FAILED   " << r.trial_id << " " << progress << "  " << r.error << std::endl;
  }
  // After the row: a crash in between leaves a stray checkpoint, never a trial that lost its own.
  if (!keep_checkpoints_) checkpoints_.remove(r.trial_id);
}

}  // namespace runner
