#pragma once
// The pictures researchers look at, drawn from a trained model on the test set as PNG bytes:
//   reconstructions  originals (top) over reconstructions, one digit of each class
//   corruption       clean, corrupted input, mask and output, one row each (document 000)
//   conditional      icvae: each test digit (rows) decoded with every label c (columns; 002)
//   code_activity    sparse codes: active units white, columns sorted by how often they fire,
//                    rows grouped by digit, up to 100 test samples per digit (document 004)
#include <torch/torch.h>

#include <string>
#include <utility>
#include <vector>

#include "models/autoencoder.h"
#include "util/metrics.h"

namespace runner {

struct PictureInputs {
  torch::Tensor clean, labels;    // test images (n, pixels) and labels
  torch::Tensor input;            // what the network sees of the clean images
  torch::Tensor corrupted_input;  // of the corrupted ones; undefined without corruption
  torch::Tensor corrupted, mask;  // corrupted images and masks; undefined without corruption
  std::int64_t rows = 28, cols = 28, classes = 10;
};

util::Artifacts draw_pictures(models::AutoencoderImpl& model, sweeps::ModelKind kind,
                              const PictureInputs& in);

// Tiles of rows x cols images in [0, 1] as one greyscale PNG, 2 pixels apart.
std::string tile_png(const torch::Tensor& images, std::int64_t grid_rows, std::int64_t grid_cols,
                     std::int64_t rows, std::int64_t cols);

}  // namespace runner
