#pragma once
// Rank 0's side of a run: records every event in the store and tells the user what happens.
#include <chrono>
#include <map>
#include <ostream>

#include "results/store.h"
#include "runner/checkpoint.h"
#include "runner/plan.h"
#include "runner/scheduler.h"

namespace runner {

// Also keeps the trials' checkpoints beside the database: each epoch's replaces the last, an
// interrupted trial leaves its own, and a finished trial's is removed unless `keep_checkpoints`.
class StoreSink : public Sink {
 public:
  StoreSink(results::Store& store, const Plan& plan, std::size_t todo, std::ostream& out,
            bool keep_checkpoints = false);
  std::string started(const Assignment& a, const std::vector<int>& ranks,
                      const std::string& host) override;
  void epoch(const EpochReport& report) override;
  void finished(const TrialResult& result) override;
  std::size_t failed() const { return failed_; }
  std::size_t interrupted() const { return interrupted_; }

 private:
  results::Store& store_;
  const Plan& plan_;
  std::ostream& out_;
  CheckpointDir checkpoints_;
  bool keep_checkpoints_;
  std::size_t interrupted_ = 0;
  std::map<std::string, std::size_t> index_;  // trial id -> position in the plan
  std::size_t todo_, done_ = 0, failed_ = 0;
};

}  // namespace runner
