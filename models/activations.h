#pragma once
// The hidden activations of model.activation, in one place: the function, its derivative (for
// the exact contractive penalty) and a layer for torch::nn::Sequential.
#include <torch/torch.h>

#include <string>

namespace models {

// relu, tanh, sigmoid or sin of z; throws std::invalid_argument for any other name.
torch::Tensor activate(const std::string& name, const torch::Tensor& z);
// Its derivative at the pre-activation z.
torch::Tensor activation_derivative(const std::string& name, const torch::Tensor& z);
torch::nn::Functional activation_layer(const std::string& name);

}  // namespace models
