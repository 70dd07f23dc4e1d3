#pragma once
// Rank 0 writes checkpoint files on a thread of its own, so that dispatch and the store never wait
// for a file system's fsync. The sink queues a save only once the epoch it covers is committed, so
// a checkpoint on disk never runs ahead of the series. Per trial the latest request wins: a save
// still queued when a newer save or a removal of the same trial arrives is dropped.
#include <condition_variable>
#include <deque>
#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "runner/record/checkpoint_dir.h"

namespace runner {

class CheckpointWriter {
 public:
  // `background` false: every request is carried out at once, in the caller (the design this
  // replaced; benchmarks compare the two).
  explicit CheckpointWriter(const CheckpointDir& dir, bool background = true);
  // Finishes every queued request.
  ~CheckpointWriter();
  CheckpointWriter(const CheckpointWriter&) = delete;
  CheckpointWriter& operator=(const CheckpointWriter&) = delete;

  void save(const std::string& trial_id, std::string bytes);
  void remove(const std::string& trial_id);
  // Waits until nothing of this trial is queued or being written (before its file is read).
  void settle(const std::string& trial_id);
  // Waits until everything queued is written.
  void drain();
  // Rethrows the first error a save met (a full disk, a missing folder), once.
  void check();

 private:
  void request(const std::string& trial_id, std::optional<std::string> bytes);
  void carry_out(const std::string& trial_id, const std::optional<std::string>& bytes);
  void loop();

  const CheckpointDir& dir_;
  const bool background_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::string, std::optional<std::string>> pending_;  // bytes to save; none: remove
  std::deque<std::string> order_;                              // trials of pending_, oldest first
  std::string writing_;                                        // the trial being written, if any
  std::exception_ptr error_;
  bool closing_ = false;
  std::thread thread_;
};

}  // namespace runner
