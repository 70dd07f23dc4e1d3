#include "runner/record/checkpoint_dir.h"

#include <iostream>
#include <stdexcept>

#include "results/artifacts.h"
#include "util/files.h"

namespace runner {

CheckpointDir::CheckpointDir(const std::string& db_path, const std::string& sweep)
    : dir_(results::checkpoints_folder(db_path, sweep)) {}

std::string CheckpointDir::path(const std::string& trial_id) const {
  return dir_ + trial_id + ".ckpt";
}

void CheckpointDir::save(const std::string& trial_id, const std::string& bytes) const {
  util::write_file_atomically(path(trial_id), bytes);
}

std::optional<Checkpoint> CheckpointDir::load(const std::string& trial_id, std::string& bytes,
                                              std::ostream& log) const {
  const std::string file = path(trial_id);
  if (!util::file_exists(file)) return std::nullopt;
  bytes = util::read_file(file);
  try {
    Checkpoint c = decode_checkpoint(bytes, file);
    if (c.trial_id != trial_id)
      throw std::runtime_error(file + ": checkpoint of trial " + c.trial_id);
    return c;
  } catch (const std::exception& e) {
    std::string aside = "moved aside to .bad";
    try {
      util::rename_file(file, file + ".bad");
    } catch (const std::exception& why) {
      aside = std::string("left in place (") + why.what() + ")";
    }
    log << "warning: " << e.what() << "; " << aside << ", trial " << trial_id
        << " starts from epoch 0" << std::endl;
    bytes.clear();
    return std::nullopt;
  }
}

void CheckpointDir::remove(const std::string& trial_id) const {
  // A stray checkpoint of a finished trial costs disk space, nothing else: it must not stop the
  // run that records results.
  try {
    util::remove_file(path(trial_id));
  } catch (const std::exception& e) {
    std::cerr << "warning: " << e.what() << std::endl;
  }
}

}  // namespace runner
