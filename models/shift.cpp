#include "models/shift.h"

#include <cmath>

namespace models {
namespace {

// One shift layer: moves x a fixed share u of the way towards tanh(W x + b).
struct ShiftLayerImpl : torch::nn::Module {
  ShiftLayerImpl(std::int64_t width, double share) : share(share) {
    linear = register_module("linear", torch::nn::Linear(width, width));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    return x + share * (torch::tanh(linear->forward(x)) - x);
  }
  torch::nn::Linear linear{nullptr};
  double share;
};
TORCH_MODULE(ShiftLayer);

}  // namespace

torch::nn::Sequential shift_approximator(std::int64_t in, std::int64_t width, std::int64_t layers,
                                         std::int64_t out) {
  torch::nn::Sequential seq(torch::nn::Linear(in, width));
  const double share = 1 - std::pow(1.0 / 3.0, 1.0 / static_cast<double>(layers));
  for (std::int64_t i = 0; i < layers; ++i) seq->push_back(ShiftLayer(width, share));
  seq->push_back(torch::nn::Linear(width, out));
  return seq;
}

}  // namespace models
