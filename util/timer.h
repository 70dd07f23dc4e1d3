#pragma once
// Wall-clock seconds spent in a scope, added to a running total: where a trial's time goes.
#include <chrono>

namespace util {

inline double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

class AddSeconds {
 public:
  explicit AddSeconds(double& total) : total_(total) {}
  ~AddSeconds() { total_ += seconds_since(t0_); }
  AddSeconds(const AddSeconds&) = delete;
  AddSeconds& operator=(const AddSeconds&) = delete;

 private:
  double& total_;
  const std::chrono::steady_clock::time_point t0_ = std::chrono::steady_clock::now();
};

}  // namespace util
