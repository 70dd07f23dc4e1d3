#pragma once
// The scheduler's clock, given to it rather than read from std::chrono, so that its timing rules
// (heartbeats, looking again at trials other runs hold, the commit window) can be tested by
// moving a clock instead of waiting (leveldb's Env).
namespace runner {

class Clock {
 public:
  virtual ~Clock() = default;
  // Seconds since some fixed point; never goes back.
  virtual double now_s() const = 0;
};

// std::chrono::steady_clock.
const Clock& steady_clock();

}  // namespace runner
