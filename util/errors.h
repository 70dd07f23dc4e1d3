#pragma once
// One error vocabulary for the whole runner. What the user gave us wrong (a sweep file, a --set, a
// command-line option, a missing database) is an InputError: exit code 2, and it names where. A
// run stopped by a signal ends with exit code 3. Anything else that escapes to the command line is
// a runtime failure: exit code 1. exit_code_for() is the one place that maps one to the other.
#include <exception>
#include <stdexcept>
#include <string>

namespace util {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;  // a runtime failure, or a trial that failed
constexpr int kExitInvalid = 2;  // invalid input; nothing was written
// Stopped by a signal (SLURM's time-limit warning, preemption, scancel, Ctrl-C): the trials in
// flight are checkpointed and marked interrupted; running the sweep again goes on from there.
constexpr int kExitInterrupted = 3;

struct Source {
  std::string file;  // a path, "--set key=value" for overrides, or "command line"
  int line = 0;      // 0 when there is none
};

class InputError : public std::runtime_error {
 public:
  InputError(const Source& where, const std::string& key, const std::string& message);
  const Source& where() const { return where_; }
  const std::string& key() const { return key_; }

 private:
  Source where_;
  std::string key_;
};

// An error in the command line itself (no file, no line, no key).
InputError usage_error(const std::string& message);

// The exit code for an exception that reached the command line: 2 for InputError, else 1.
int exit_code_for(const std::exception& e);

// Throws std::runtime_error "`what`: strerror(errno)" when a system call returned -1.
void check_syscall(int result, const std::string& what);

}  // namespace util
