#include "sweeps/config.h"

#include <stdexcept>

namespace sweeps {
namespace {

template <typename T>
T get(const Params& p, const std::string& path, T fallback) {
  auto it = p.find(path);
  if (it == p.end()) return fallback;
  if (auto v = std::get_if<T>(&it->second)) return *v;
  throw std::logic_error("config key " + path + " has the wrong type");  // schema guarantees it
}

}  // namespace

TrialConfig trial_config_from(const Params& p) {
  TrialConfig c;
  c.data.dataset = get(p, "data.dataset", c.data.dataset);
  c.data.train_limit = get(p, "data.train_limit", c.data.train_limit);
  c.data.test_limit = get(p, "data.test_limit", c.data.test_limit);
  c.model.kind = get(p, "model.kind", c.model.kind);
  c.model.hidden = get(p, "model.hidden", c.model.hidden);
  c.model.latent = get(p, "model.latent", c.model.latent);
  c.model.activation = get(p, "model.activation", c.model.activation);
  c.model.channels = get(p, "model.channels", c.model.channels);
  c.model.encoder = get(p, "model.encoder", c.model.encoder);
  c.model.shift_layers = get(p, "model.shift_layers", c.model.shift_layers);
  c.train.epochs = get(p, "train.epochs", c.train.epochs);
  c.train.batch_size = get(p, "train.batch_size", c.train.batch_size);
  c.train.lr = get(p, "train.lr", c.train.lr);
  c.train.device = get(p, "train.device", c.train.device);
  c.loss.beta = get(p, "loss.beta", c.loss.beta);
  c.loss.lambda = get(p, "loss.lambda", c.loss.lambda);
  c.kl.schedule = get(p, "kl.schedule", c.kl.schedule);
  c.kl.cycles = get(p, "kl.cycles", c.kl.cycles);
  c.kl.ratio = get(p, "kl.ratio", c.kl.ratio);
  c.kl.shape = get(p, "kl.shape", c.kl.shape);
  c.corruption.kind = get(p, "corruption.kind", c.corruption.kind);
  c.corruption.level = get(p, "corruption.level", c.corruption.level);
  c.corruption.threshold_min = get(p, "corruption.threshold_min", c.corruption.threshold_min);
  c.corruption.threshold_max = get(p, "corruption.threshold_max", c.corruption.threshold_max);
  c.corruption.mask_input = get(p, "corruption.mask_input", c.corruption.mask_input);
  return c;
}

}  // namespace sweeps
