#include "runner/schedule/clock.h"

#include <chrono>

namespace runner {
namespace {

class SteadyClock : public Clock {
 public:
  double now_s() const override {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
};

}  // namespace

const Clock& steady_clock() {
  static const SteadyClock kClock;
  return kClock;
}

}  // namespace runner
