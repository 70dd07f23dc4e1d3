#pragma once
// model.kind = "torchscript": an autoencoder written in PyTorch, saved with
// torch.jit.script(model).save(path), trained by the runner's own loop. The module provides
//   encode(x) -> z      x: (batch, input) in [0, 1], the flattened image (then its mask, with
//                       corruption.mask_input); z: (batch, code)
//   decode(z) -> x_hat  (batch, pixels)
// and may provide
//   loss(x, target) -> Tensor, or loss(x, target, beta: float) -> Tensor
//                       a scalar the optimizer minimises, instead of the default loss; beta is
//                       loss.beta times the epoch's KL annealing factor (kl.*, loss.beta_schedule)
//   reset_parameters()  called once the trial's seed is set, so that repeats start apart;
//                       without it every repeat starts from the file's weights
// The default loss is the runner's: mean squared error per pixel, plus loss.lambda times the
// codes' L1 norm (mean over the batch) when loss.lambda > 0. The module's parameters become the
// model's own: one flat buffer for the optimizer, the checkpoints and data parallel.
#include <torch/script.h>

#include <stdexcept>
#include <string>

#include "models/autoencoder.h"

namespace models {

// A module file the runner cannot train, and why.
class ModuleError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The module saved in `bytes` (the contents of `file`, named in messages). Throws ModuleError when
// it is not TorchScript, lacks encode or decode, has buffers, or parameters other than float32.
torch::jit::Module load_module(const std::string& bytes, const std::string& file);

// Runs the module's methods on `input`, one batch, as training would (on a copy of its weights).
// Throws ModuleError when an output does not fit: encode must give (batch, code), decode
// (batch, output_dim), loss a scalar. Returns a note for the user ("" when none).
std::string check_module(const torch::jit::Module& module, const torch::Tensor& input,
                         std::int64_t output_dim);

class TorchScriptAEImpl : public AutoencoderImpl {
 public:
  // Takes the module's parameters as its own; calls reset_parameters() when there is one.
  explicit TorchScriptAEImpl(torch::jit::Module module);
  torch::Tensor encode(const torch::Tensor& x) override;
  torch::Tensor decode(const torch::Tensor& z);
  torch::Tensor reconstruct(const torch::Tensor& x, const torch::Tensor&) override {
    return decode(encode(x));
  }
  torch::Tensor decode_code(const torch::Tensor& z, const torch::Tensor&) override {
    return decode(z);
  }
  Losses loss(const Batch& batch, const LossWeights& weights) override;
  void train(bool on = true) override;

 private:
  torch::jit::Module module_;
  std::size_t loss_arguments_ = 0;  // of the module's own loss, self aside; 0: it has none
};

}  // namespace models
