#include "models/activations.h"

#include <stdexcept>

namespace models {

torch::Tensor activate(const std::string& name, const torch::Tensor& z) {
  if (name == "relu") return z.relu();
  if (name == "tanh") return z.tanh();
  if (name == "sigmoid") return z.sigmoid();
  if (name == "sin") return z.sin();
  throw std::invalid_argument("unknown activation " + name);
}

torch::Tensor activation_derivative(const std::string& name, const torch::Tensor& z) {
  if (name == "relu") return z.gt(0).to(z.scalar_type());
  if (name == "tanh") return 1 - z.tanh().pow(2);
  if (name == "sigmoid") {
    auto s = z.sigmoid();
    return s * (1 - s);
  }
  if (name == "sin") return z.cos();
  throw std::invalid_argument("unknown activation " + name);
}

torch::nn::Functional activation_layer(const std::string& name) {
  activate(name, torch::zeros({1}));  // unknown names fail here, when the model is built
  return torch::nn::Functional([name](const torch::Tensor& z) { return activate(name, z); });
}

}  // namespace models
