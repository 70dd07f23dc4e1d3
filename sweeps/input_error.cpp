#include "sweeps/input_error.h"

namespace sweeps {
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

}  // namespace sweeps
