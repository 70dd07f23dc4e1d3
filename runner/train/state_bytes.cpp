#include "runner/train/state_bytes.h"

#include <cstring>
#include <mutex>
#include <sstream>
#include <stdexcept>

namespace runner {

std::string tensor_bytes(const torch::Tensor& t) {
  const auto c = t.to(torch::kCPU).contiguous();
  return std::string(static_cast<const char*>(c.data_ptr()),
                     static_cast<std::size_t>(c.numel()) * c.element_size());
}

void load_tensor_bytes(torch::Tensor& t, const std::string& bytes, const char* what) {
  const auto want = static_cast<std::size_t>(t.numel()) * t.element_size();
  if (bytes.size() != want)
    throw std::runtime_error(std::string("checkpoint: ") + what + " has " +
                             std::to_string(bytes.size()) + " bytes, the model needs " +
                             std::to_string(want));
  torch::NoGradGuard no_grad;
  t.copy_(torch::from_blob(const_cast<char*>(bytes.data()), t.sizes(),
                           t.options().device(torch::kCPU)));
}

std::string generator_state(const torch::Device& device) {
  auto gen = at::globalContext().defaultGenerator(device);
  std::lock_guard<std::mutex> lock(gen.mutex());
  return tensor_bytes(gen.get_state());
}

void set_generator_state(const torch::Device& device, const std::string& bytes) {
  auto gen = at::globalContext().defaultGenerator(device);
  auto state = torch::empty({static_cast<std::int64_t>(bytes.size())}, torch::kUInt8);
  std::memcpy(state.data_ptr(), bytes.data(), bytes.size());
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(state);
}

std::string engine_text(const std::mt19937_64& engine) {
  std::ostringstream os;
  os << engine;
  return os.str();
}

std::mt19937_64 engine_from_text(const std::string& text) {
  std::mt19937_64 engine;
  std::istringstream is(text);
  is >> engine;
  if (!is) throw std::runtime_error("checkpoint: batch order state unreadable");
  return engine;
}

}  // namespace runner
