#pragma once
// The pictures researchers look at, drawn from a trained model on the test set as PNG bytes:
//   reconstructions  originals (top) over reconstructions, one digit of each class
//   corruption       clean, corrupted input, mask and output, one row each (document 000)
//   conditional      icvae: each test digit (rows) decoded with every label c (columns; 002)
//   code_activity    sparse codes: active units white, columns sorted by how often they fire,
//                    rows grouped by digit, up to 100 test samples per digit (document 004)
//   blending         two test digits (a 2 and a 7): top, 7 codes evenly spaced from one's code to
//                    the other's, decoded (representation blending); below, the same 7 steps
//                    between the images themselves (content blending); each row framed by the
//                    two originals (document 003)
//   differences      originals, reconstructions, and where they differ: red where the
//                    reconstruction has ink that should not be there, blue where ink is missing
//                    (document 004)
//   error_quantiles  per digit (rows), the histogram of its test errors (one scale for all
//                    digits), then the test samples at 8 quantiles of it (1/16, 3/16, ..., 15/16),
//                    originals over reconstructions (document 004)
//   active_bits      sparse codes: per digit (rows), the histogram of active bits per image
//                    (document 004)
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
  torch::Tensor errors;           // per test sample: reconstruction MSE of `input`
  std::int64_t rows = 28, cols = 28, classes = 10;
};

util::Artifacts draw_pictures(models::AutoencoderImpl& model, sweeps::ModelKind kind,
                              const PictureInputs& in);

// The `differences` picture's colours, (n, 3, pixels) RGB in [0, 1]: white where the images
// agree, red as the reconstruction has ink the original lacks, blue as it misses the original's.
torch::Tensor difference_colours(const torch::Tensor& clean, const torch::Tensor& recon);

// Tiles of rows x cols images in [0, 1] as one greyscale PNG, 2 pixels apart.
std::string tile_png(const torch::Tensor& images, std::int64_t grid_rows, std::int64_t grid_cols,
                     std::int64_t rows, std::int64_t cols);

}  // namespace runner
