#pragma once
// Rank 0's side of a run: records every event in the store and tells the user what happens.
#include <chrono>
#include <map>
#include <optional>
#include <ostream>
#include <utility>
#include <vector>

#include "results/store.h"
#include "runner/plan.h"
#include "runner/record/checkpoint_dir.h"
#include "runner/record/checkpoint_writer.h"
#include "runner/record/early_stop.h"
#include "runner/record/pbt.h"
#include "runner/record/proposer.h"
#include "runner/schedule/scheduler.h"

namespace runner {

// How rank 0 makes events durable. The defaults group them; `grouped` false is the design they
// replaced (a commit per event, checkpoint files written before the next message is taken),
// kept so that benchmarks can compare the two.
struct SinkOptions {
  bool keep_checkpoints = false;  // of finished trials
  bool grouped = true;  // one commit per flush, checkpoint files written on a thread of their own
};

// Also keeps the trials' checkpoints beside the database: each epoch's replaces the last, an
// interrupted trial leaves its own, and a finished trial's is removed unless `keep_checkpoints`.
// Changes between flushes are one transaction; the checkpoint files they imply are written after
// it commits (see CheckpointWriter).
class StoreSink : public Sink {
 public:
  // `search`: the sweep's [sweep.search], if it has one (it adds its proposals to `plan`).
  StoreSink(results::Store& store, const Plan& plan, std::size_t todo, std::ostream& out,
            SinkOptions options = {}, Proposer* search = nullptr);
  bool started(Assignment& a, const std::vector<int>& ranks,
               const std::vector<std::string>& hosts) override;
  results::Holder holder(const std::string& trial_id) override;
  bool holds(const std::string& trial_id) override;
  void lost(const std::string& trial_id) override;
  void set_aside(const std::string& trial_id) override;
  bool may_propose() override;
  bool propose(Assignment& out) override;
  void formed_array(const std::vector<Assignment>& members) override;
  bool epoch(const EpochReport& report) override;
  Exploit exploit(const std::string& trial_id, std::int64_t epoch) override;
  void finished(const TrialResult& result) override;
  void stale(const std::string& trial_id, const std::string& why) override;
  void flush() override;
  // Flushes, then waits for every checkpoint file; throws if one could not be written.
  void close();
  std::size_t failed() const { return failed_; }
  std::size_t interrupted() const { return interrupted_; }

 private:
  void begin();
  // Saves (bytes) or removes (none) the trial's checkpoint once the open transaction commits.
  void after_commit(const std::string& trial_id, std::optional<std::string> bytes);
  // Completed or pruned: its row, final metrics and pictures.
  void record_finished(const TrialResult& r, const std::string& progress);

  results::Store& store_;
  const Plan& plan_;
  std::ostream& out_;
  CheckpointDir checkpoints_;
  SinkOptions options_;
  CheckpointWriter writer_;
  EarlyStopper early_stop_;
  Proposer* search_;
  std::optional<Population> population_;  // [sweep.search] sampler = "pbt"
  std::optional<results::Transaction> batch_;
  std::vector<std::pair<std::string, std::optional<std::string>>> after_commit_;
  std::size_t interrupted_ = 0;
  std::map<std::string, std::size_t> index_;  // trial id -> position in the plan
  std::size_t todo_, done_ = 0, failed_ = 0, pruned_ = 0;
};

}  // namespace runner
