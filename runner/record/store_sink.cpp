#include "runner/record/store_sink.h"

#include <algorithm>

#include "models/family.h"
#include "runner/record/headline.h"
#include "util/json.h"
#include "util/metrics.h"

namespace runner {
namespace {

std::string metric_text(const Metrics& m, const std::string& name, int digits) {
  const auto v = util::find_metric(m, name);
  return v ? util::format_fixed(*v, digits) : "-";
}

}  // namespace

StoreSink::StoreSink(results::Store& store, const Plan& plan, std::size_t todo, std::ostream& out,
                     SinkOptions options, Proposer* search)
    : store_(store),
      plan_(plan),
      out_(out),
      checkpoints_(store.db().path(), plan.spec.name),
      options_(options),
      writer_(checkpoints_, options.grouped),
      early_stop_(store, plan.spec.name, plan.spec.early_stop),
      search_(search),
      todo_(todo + (search ? static_cast<std::size_t>(search->left()) : 0)) {
  for (std::size_t i = 0; i < plan.trials.size(); ++i) index_[plan.trials[i].id] = i;
  if (search && plan.spec.search.sampler == sweeps::SamplerKind::kPbt)
    population_.emplace(store, plan, [this](const std::string& trial_id) {
      writer_.settle(trial_id);
      std::string bytes;
      checkpoints_.load(trial_id, bytes, out_);
      return bytes;
    });
}

void StoreSink::begin() {
  if (options_.grouped && !batch_) batch_.emplace(store_.db());
}

void StoreSink::after_commit(const std::string& trial_id, std::optional<std::string> bytes) {
  after_commit_.emplace_back(trial_id, std::move(bytes));
  if (!options_.grouped) flush();
}

void StoreSink::flush() {
  if (batch_) {
    batch_->commit();
    batch_.reset();
  }
  for (auto& [id, bytes] : after_commit_) {
    if (bytes)
      writer_.save(id, std::move(*bytes));
    else
      writer_.remove(id);
  }
  after_commit_.clear();
  writer_.check();
}

void StoreSink::close() {
  flush();
  writer_.drain();
  writer_.check();
}

results::Holder StoreSink::holder(const std::string& trial_id) {
  return store_.holder_of(trial_id);
}

bool StoreSink::holds(const std::string& trial_id) {
  return store_.holds(trial_id);
}

void StoreSink::lost(const std::string& trial_id) {
  out_ << "LOST     " << trial_id << "  this run's lease lapsed and another run took it over; "
       << "it stops here and that run records it" << std::endl;
}

void StoreSink::set_aside(const std::string& trial_id) {
  begin();
  store_.set_aside(trial_id);
  out_ << "later    " << trial_id
       << "  starts from another point (epoch and step) than the fused array it was claimed for; "
          "it trains in a later one"
       << std::endl;
}

void StoreSink::formed_array(const std::vector<Assignment>& members) {
  begin();
  std::vector<std::string> ids;
  for (const auto& a : members) ids.push_back(a.trial_id);
  store_.set_array(ids);
  out_ << "array    " << ids.front() << "  " << ids.size() << " trials fused:";
  for (const auto& id : ids) out_ << " " << id;
  out_ << std::endl;
}

bool StoreSink::may_propose() {
  return search_ && search_->may_propose();
}

bool StoreSink::propose(Assignment& out) {
  if (!search_) return false;
  begin();  // the proposal is recorded in the transaction that claims it
  const auto i = search_->next();
  if (!i) return false;
  index_[plan_.trials[*i].id] = *i;
  out = assignment_of(plan_, *i);
  return true;
}

bool StoreSink::started(Assignment& a, const std::vector<int>& ranks,
                        const std::vector<std::string>& hosts) {
  begin();
  // Claimed before its checkpoint is read: while another run holds it, that run may write it.
  if (!store_.claim(a.trial_id)) return false;
  // Its file must be the latest before it is read (a trial handed out again after its group went
  // silent may have a save still queued).
  if (std::any_of(after_commit_.begin(), after_commit_.end(),
                  [&](const auto& op) { return op.first == a.trial_id; }))
    flush();
  writer_.settle(a.trial_id);
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
  store_.mark_running(a.trial_id, ranks, hosts, resume_epoch);
  out_ << (from ? "resume   " : "start    ") << a.trial_id << " on rank " << ranks.front() << " ("
       << hosts.front() << ")  ";
  if (from)
    out_ << "from epoch " << resume_epoch
         << (from->next_sample > 0 ? " + " + std::to_string(from->next_sample) + " samples" : "")
         << "  ";
  out_ << describe(plan_, plan_.trials[index_.at(a.trial_id)]) << std::endl;
  a.checkpoint = std::move(bytes);
  a.resume = from ? resume_point_of(*from) : ResumePoint{};
  // Stopped early at that epoch, then killed before its result was recorded: it ends at once.
  a.stopped_early =
      from && from->next_sample == 0 && store_.decision(a.trial_id, resume_epoch) == false;
  if (population_) population_->resume(a);
  return true;
}

bool StoreSink::epoch(const EpochReport& r) {
  // The row before the checkpoint: a crash in between leaves a checkpoint one epoch behind the
  // series, and that epoch is trained again and recorded the same, never a gap in the series.
  begin();
  store_.add_epoch(r.trial_id, r.epoch, r.values);
  // In the same transaction as the epoch that led to it; none at the trial's last epoch.
  const auto& config = plan_.configs[index_.at(r.trial_id)];
  const bool goes_on =
      r.epoch >= models::series_epochs(config) || early_stop_.goes_on(r.trial_id, r.epoch, r.values);
  if (!r.checkpoint.empty()) after_commit(r.trial_id, r.checkpoint);
  if (population_) population_->reported(r.trial_id, r.epoch, r.checkpoint);
  out_ << "epoch    " << r.trial_id << " " << r.epoch << "/" << models::series_epochs(config);
  for (const auto& [k, v] : r.values) out_ << "  " << k << "=" << util::format_fixed(v, 5);
  if (!goes_on) out_ << "  -> stopped early";
  out_ << std::endl;
  return goes_on;
}

Exploit StoreSink::exploit(const std::string& trial_id, std::int64_t epoch) {
  const auto& config = plan_.configs[index_.at(trial_id)];
  if (!population_ || !decides_at(plan_.spec.search.interval, epoch, models::series_epochs(config)))
    return {};
  begin();  // in the transaction of the report that led to it
  Exploit e = population_->decide(trial_id, epoch);
  out_ << "pbt      " << trial_id << " after epoch " << epoch << ": ";
  if (e.source.empty())
    out_ << "keeps its weights";
  else
    out_ << "takes " << e.source << " (epoch " << e.source_epoch << ", "
         << (e.checkpoint.empty() ? "in its array" : "from its checkpoint") << ")";
  for (const auto& [k, v] : e.keys) out_ << "  " << k << "=" << util::format_double(v);
  out_ << std::endl;
  return e;
}

void StoreSink::stale(const std::string& trial_id, const std::string& why) {
  begin();
  store_.mark_stale(trial_id, why);
  out_ << "STALE    " << trial_id << "  " << why << "; it goes to another group" << std::endl;
}

void StoreSink::finished(const TrialResult& r) {
  begin();
  if (r.outcome == Outcome::kInterrupted) {  // not done: it goes on when the sweep runs again
    ++interrupted_;
    store_.interrupt(r.trial_id);
    if (!r.checkpoint.empty()) after_commit(r.trial_id, r.checkpoint);
    out_ << "stopped  " << r.trial_id << "  interrupted; checkpoint "
         << checkpoints_.path(r.trial_id) << std::endl;
    return;
  }
  ++done_;
  const std::string progress = "[" + std::to_string(done_) + "/" + std::to_string(todo_) + "]";
  if (r.outcome == Outcome::kCompleted || r.outcome == Outcome::kPruned) {
    record_finished(r, progress);
  } else {
    ++failed_;
    store_.fail(r.trial_id, r.error);
    out_ << "FAILED   " << r.trial_id << " " << progress << "  " << r.error << std::endl;
  }
  if (search_) search_->finished(r.trial_id);  // its part's front, in the same transaction
  // After the row: a crash in between leaves a stray checkpoint, never a trial that lost its own.
  if (!options_.keep_checkpoints) after_commit(r.trial_id, std::nullopt);
}

void StoreSink::record_finished(const TrialResult& r, const std::string& progress) {
  const bool pruned = r.outcome == Outcome::kPruned;
  if (pruned) {
    ++pruned_;
    store_.prune(r.trial_id, r.final_metrics, r.artifacts);
  } else {
    store_.complete(r.trial_id, r.final_metrics, r.artifacts);
  }
  out_ << (pruned ? "pruned   " : "done     ") << r.trial_id << " " << progress;
  for (const auto& h : kHeadline)
    out_ << "  " << h.name << "=" << metric_text(r.final_metrics, h.name, h.digits);
  out_ << std::endl;
}

}  // namespace runner
