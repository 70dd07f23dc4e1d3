#include "runner/record/checkpoint_writer.h"

namespace runner {

CheckpointWriter::CheckpointWriter(const CheckpointDir& dir, bool background)
    : dir_(dir), background_(background) {
  if (background_) thread_ = std::thread([this] { loop(); });
}

CheckpointWriter::~CheckpointWriter() {
  if (!background_) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    closing_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void CheckpointWriter::save(const std::string& trial_id, std::string bytes) {
  request(trial_id, std::move(bytes));
}

void CheckpointWriter::remove(const std::string& trial_id) {
  request(trial_id, std::nullopt);
}

void CheckpointWriter::request(const std::string& trial_id, std::optional<std::string> bytes) {
  if (!background_) return carry_out(trial_id, bytes);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto [it, added] = pending_.insert_or_assign(trial_id, std::move(bytes));
    if (added) order_.push_back(trial_id);
  }
  changed_.notify_all();
}

void CheckpointWriter::carry_out(const std::string& trial_id,
                                 const std::optional<std::string>& bytes) {
  try {
    if (bytes)
      dir_.save(trial_id, *bytes);
    else
      dir_.remove(trial_id);
  } catch (...) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!error_) error_ = std::current_exception();
  }
}

void CheckpointWriter::loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    changed_.wait(lock, [this] { return closing_ || !order_.empty(); });
    if (order_.empty()) return;  // closing, and nothing left
    writing_ = order_.front();
    order_.pop_front();
    auto node = pending_.extract(writing_);
    lock.unlock();
    carry_out(node.key(), node.mapped());
    lock.lock();
    writing_.clear();
    changed_.notify_all();
  }
}

void CheckpointWriter::settle(const std::string& trial_id) {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] { return !pending_.count(trial_id) && writing_ != trial_id; });
}

void CheckpointWriter::drain() {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] { return order_.empty() && writing_.empty(); });
}

void CheckpointWriter::check() {
  std::exception_ptr error;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    std::swap(error, error_);
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace runner
