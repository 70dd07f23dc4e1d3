#pragma once
// The hidden activations of model.activation, in one place: the function, its derivative (for
// the exact contractive penalty) and a layer for torch::nn::Sequential.
#include <torch/torch.h>

#include "sweeps/config.h"

namespace models {

using sweeps::Activation;

torch::Tensor activate(Activation a, const torch::Tensor& z);
// Its derivative at the pre-activation z.
torch::Tensor activation_derivative(Activation a, const torch::Tensor& z);
torch::nn::Functional activation_layer(Activation a);

}  // namespace models
