#pragma once
// Rank 0's checkpoint files, one per trial in flight, beside the database.
#include <optional>
#include <ostream>
#include <string>

#include "runner/checkpoint.h"

namespace runner {

// Rank 0's folder of checkpoints: <db folder>/<db stem>.checkpoints/<sweep>/<trial id>.ckpt.
class CheckpointDir {
 public:
  CheckpointDir(const std::string& db_path, const std::string& sweep);
  std::string path(const std::string& trial_id) const;
  // Atomic and durable: a crash leaves the previous checkpoint or this one.
  void save(const std::string& trial_id, const std::string& bytes) const;
  // The trial's checkpoint, if there is a sound one. A damaged file is reported on `log`, moved
  // aside (.bad) and ignored, so the trial starts again from epoch 0 rather than not at all.
  std::optional<Checkpoint> load(const std::string& trial_id, std::string& bytes,
                                 std::ostream& log) const;
  void remove(const std::string& trial_id) const;

 private:
  std::string dir_;
};

}  // namespace runner
