#pragma once
// The pieces of a trial's state that a checkpoint holds, as bytes and back: tensors, LibTorch's
// generators and the batch-order engine.
#include <torch/torch.h>

#include <random>
#include <string>

namespace runner {

// The raw bytes of a tensor (copied to the CPU).
std::string tensor_bytes(const torch::Tensor& t);
// Overwrites `t` with `bytes`; throws naming `what` when the sizes differ.
void load_tensor_bytes(torch::Tensor& t, const std::string& bytes, const char* what);

// LibTorch's default generator of a device: noise and corruptions draw from it.
std::string generator_state(const torch::Device& device);
void set_generator_state(const torch::Device& device, const std::string& bytes);

std::string engine_text(const std::mt19937_64& engine);
// Throws when the text is not an engine state.
std::mt19937_64 engine_from_text(const std::string& text);

}  // namespace runner
