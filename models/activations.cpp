#include "models/activations.h"

#include <stdexcept>

namespace models {

torch::Tensor activate(Activation a, const torch::Tensor& z) {
  switch (a) {
    case Activation::kRelu:
      return z.relu();
    case Activation::kTanh:
      return z.tanh();
    case Activation::kSigmoid:
      return z.sigmoid();
    case Activation::kSin:
      return z.sin();
  }
  throw std::invalid_argument("unknown activation");
}

torch::Tensor activation_derivative(Activation a, const torch::Tensor& z) {
  switch (a) {
    case Activation::kRelu:
      return z.gt(0).to(z.scalar_type());
    case Activation::kTanh:
      return 1 - z.tanh().pow(2);
    case Activation::kSigmoid: {
      auto s = z.sigmoid();
      return s * (1 - s);
    }
    case Activation::kSin:
      return z.cos();
  }
  throw std::invalid_argument("unknown activation");
}

torch::nn::Functional activation_layer(Activation a) {
  return torch::nn::Functional([a](const torch::Tensor& z) { return activate(a, z); });
}

}  // namespace models
