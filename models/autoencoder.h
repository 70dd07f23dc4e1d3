#pragma once
// The interface every autoencoder family implements, and the factory that builds one from its
// config. Images are flattened, in [0, 1], shape (batch, pixels).
#include <torch/torch.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "models/schedules.h"
#include "sweeps/config.h"
#include "util/metrics.h"

namespace models {

using util::Metrics;

struct Batch {
  torch::Tensor input;   // what the encoder sees (a corrupted image, maybe with its mask)
  torch::Tensor target;  // the clean image to reconstruct
  torch::Tensor labels;  // int64 classes; conditional decoders use them
  // Standard normal noise for stochastic codes, (batch, noise_dim()), drawn by the trainer for
  // the whole global batch so that a sample's noise does not depend on how the batch is sharded.
  torch::Tensor noise;
};

struct Losses {
  torch::Tensor total;  // what the optimizer minimises
  torch::Tensor recon;  // mean squared error per pixel
};

class AutoencoderImpl : public torch::nn::Module {
 public:
  // The deterministic code (the mean, for VAEs): what classifiers of the code see.
  virtual torch::Tensor encode(const torch::Tensor& input) = 0;
  // The deterministic reconstruction of `input`; conditional decoders also take the labels.
  virtual torch::Tensor reconstruct(const torch::Tensor& input, const torch::Tensor& labels) = 0;
  // The reconstruction from a code as encode() gives it: representation blending (document 003)
  // decodes codes between two images' codes.
  virtual torch::Tensor decode_code(const torch::Tensor& code, const torch::Tensor& labels) = 0;
  // reconstruct(), and each sample's KL to the prior where the family has one (VAEs; undefined
  // otherwise): one pass gives the per-epoch test error and test ELBO.
  virtual std::pair<torch::Tensor, torch::Tensor> reconstruct_with_kl(const torch::Tensor& input,
                                                                      const torch::Tensor& labels) {
    return {reconstruct(input, labels), torch::Tensor()};
  }
  virtual Losses loss(const Batch& batch, const LossWeights& weights);
  // Width of the noise a training batch needs (0: deterministic).
  virtual std::int64_t noise_dim() const { return 0; }
  // Families trained in stages (the randomized AE, layer by layer): train.epochs epochs each,
  // with fresh optimizer state, between begin_stage and end_stage.
  virtual std::int64_t stages() const { return 1; }
  virtual void begin_stage(std::int64_t /*stage*/) {}
  virtual void end_stage(std::int64_t /*stage*/) {}
  // Figures particular to the family, on an evaluation set (in chunks, without gradients unless
  // the figure needs them).
  virtual void add_metrics(const torch::Tensor& /*input*/, const torch::Tensor& /*labels*/,
                           const LossWeights& /*weights*/, Metrics& /*out*/) {}
};

// `input_dim` is what the encoder sees (twice the pixels with corruption.mask_input), `output_dim`
// the pixels of the image to reconstruct.
std::shared_ptr<AutoencoderImpl> make_autoencoder(const sweeps::ModelConfig& config,
                                                  std::int64_t input_dim, std::int64_t output_dim,
                                                  std::int64_t num_classes);

}  // namespace models
