#pragma once
// Corruptions of the input (documents 000, 001, 003): the network sees the corrupted image (and,
// with corruption.mask_input, the mask) and is trained to reconstruct the clean one. Randomness
// comes from LibTorch's global generator, which every rank of a group seeds alike; corrupt whole
// global batches, then take a rank's shard, so that no sample's corruption depends on sharding.
#include <torch/torch.h>

#include "sweeps/config.h"

namespace models {

struct Corrupted {
  torch::Tensor image;  // (batch, pixels) in [0, 1]
  torch::Tensor mask;   // (batch, pixels): 1 where the pixel is the clean one, 0 where it was hit
};

Corrupted corrupt(const sweeps::CorruptionConfig& c, const torch::Tensor& clean, std::int64_t rows,
                  std::int64_t cols);

// Random smooth blotch masks (document 000): white noise blurred with a Gaussian, then ranked
// within each mask so that thresholding at t keeps exactly the share t of the pixels (the
// smoothest a fraction of the pixels can be, and coverage that follows the threshold exactly).
// `thresholds` has one value per mask in [0, 1]. Returns (n, rows * cols) of 0 and 1.
torch::Tensor blotch_masks(const torch::Tensor& thresholds, std::int64_t rows, std::int64_t cols);

// What the encoder sees: the image, or the image and its mask side by side.
torch::Tensor network_input(const sweeps::CorruptionConfig& c, const Corrupted& x);
// What the encoder sees of uncorrupted images: with mask_input, a mask of ones beside them (made
// only then: 31 MB for the training set, every trial).
torch::Tensor clean_input(const sweeps::CorruptionConfig& c, const torch::Tensor& x);
// Input width of the network for images of `pixels` pixels.
std::int64_t input_width(const sweeps::CorruptionConfig& c, std::int64_t pixels);

}  // namespace models
