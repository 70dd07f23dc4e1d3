#pragma once
// The data of one trial as tensors on its device: the train and test splits it uses and what its
// encoder sees of the clean images.
#include <torch/torch.h>

#include <cstdint>

#include "sweeps/config.h"

namespace runner {

struct SplitTensors {
  torch::Tensor x;  // (n, pixels) float in [0, 1]
  torch::Tensor y;  // (n) int64
};

struct TrialData {
  SplitTensors train, test;
  // What the encoder sees of the clean images: the image, and an all-ones mask with mask_input.
  torch::Tensor train_input, test_input;
  std::int64_t rows = 0, cols = 0, classes = 0;
};

// The trial's data on `device`; each dataset is decoded once per process and copied to each
// device once. Throws data::DataError for a missing or damaged dataset.
TrialData load_trial_data(const sweeps::TrialConfig& c, const torch::Device& device);

}  // namespace runner
