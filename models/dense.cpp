#include "models/dense.h"

#include <stdexcept>

namespace models {

torch::nn::Sequential mlp(const std::vector<std::int64_t>& widths, const std::string& activation) {
  torch::nn::Sequential seq;
  for (std::size_t i = 0; i + 1 < widths.size(); ++i) {
    seq->push_back(torch::nn::Linear(widths[i], widths[i + 1]));
    if (i + 2 == widths.size()) break;
    if (activation == "relu") seq->push_back(torch::nn::ReLU());
    else if (activation == "tanh") seq->push_back(torch::nn::Tanh());
    else if (activation == "sigmoid") seq->push_back(torch::nn::Sigmoid());
    else if (activation == "sin") seq->push_back(torch::nn::Functional(torch::sin));
    else throw std::invalid_argument("unknown activation " + activation);
  }
  return seq;
}

DenseAEImpl::DenseAEImpl(const sweeps::ModelConfig& c, std::int64_t input_dim) {
  std::vector<std::int64_t> widths = {input_dim};
  widths.insert(widths.end(), c.hidden.begin(), c.hidden.end());
  widths.push_back(c.latent);
  encoder = register_module("encoder", mlp(widths, c.activation));
  std::vector<std::int64_t> back(widths.rbegin(), widths.rend());
  decoder = register_module("decoder", mlp(back, c.activation));
}

}  // namespace models
