#pragma once
// The one way the runner waits for something another process does (a message, a collective, a
// GPU stream): poll, spinning briefly, then sleeping with a doubling pause, until it is ready or a
// deadline passes. Sleeping matters: Open MPI's blocking calls spin a core, which would starve the
// training threads of the ranks beside the waiting one.
#include <chrono>
#include <functional>

namespace util {

struct Backoff {
  int spins;                          // polls without sleeping first
  std::chrono::microseconds first;    // then sleeps, starting here,
  std::chrono::microseconds longest;  // doubling up to this
};

// Waiting for a message that may take seconds (rank 0 between reports, an idle rank between
// trials): sleep at once, and never longer than 2 ms, so a message is taken within 2 ms.
constexpr Backoff kMessageBackoff{0, std::chrono::microseconds(20),
                                  std::chrono::microseconds(2000)};
// Waiting for a training step's collective: usually done within microseconds of the last rank
// arriving, so spin a little before sleeping.
constexpr Backoff kCollectiveBackoff{200, std::chrono::microseconds(1),
                                     std::chrono::microseconds(1000)};

// Calls `ready` until it returns true, then returns true; returns false once `timeout_s` seconds
// have passed (a negative timeout waits for ever). `ready` is called at least once.
bool poll_until(const std::function<bool()>& ready, double timeout_s, const Backoff& backoff);

}  // namespace util
