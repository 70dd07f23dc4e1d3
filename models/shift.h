#pragma once
// Document 000's ShiftApproximator: Linear to `width`, then `layers` shift layers
// x + u (tanh(W x + b) - x) with u = 1 - (1/3)^(1/layers), then Linear to `out`.
#include <torch/torch.h>

namespace models {

torch::nn::Sequential shift_approximator(std::int64_t in, std::int64_t width, std::int64_t layers,
                                         std::int64_t out);

}  // namespace models
