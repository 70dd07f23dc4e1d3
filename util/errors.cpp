#include "util/errors.h"

#include <cerrno>
#include <cstring>

namespace util {
namespace {

std::string format(const Source& where, const std::string& key, const std::string& message) {
  std::string out = where.file;
  if (where.line > 0) out += ":" + std::to_string(where.line);
  out += ": ";
  if (!key.empty()) out += "key '" + key + "': ";
  return out + message;
}

}  // namespace

InputError::InputError(const Source& where, const std::string& key, const std::string& message)
    : std::runtime_error(format(where, key, message)), where_(where), key_(key) {}

InputError usage_error(const std::string& message) {
  return InputError({"command line", 0}, "", message);
}

int exit_code_for(const std::exception& e) {
  return dynamic_cast<const InputError*>(&e) ? kExitInvalid : kExitFailure;
}

void check_syscall(int result, const std::string& what) {
  if (result == -1) throw std::runtime_error(what + ": " + std::strerror(errno));
}

}  // namespace util
