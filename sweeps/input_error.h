#pragma once
// Errors in what the user gave us (sweep file, --set, CLI). They map to exit code 2 and must name
// where the problem is: file, line (0 when there is none) and key.
#include <stdexcept>
#include <string>

namespace sweeps {

struct Source {
  std::string file;  // a path, or "--set key=value" for command-line overrides
  int line = 0;
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

}  // namespace sweeps
