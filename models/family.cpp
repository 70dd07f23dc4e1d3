#include "models/family.h"

#include <algorithm>
#include <stdexcept>

namespace models {

const std::vector<const Family*>& families() {
  static const std::vector<const Family*> kFamilies = {
      &dense_family(), &conv_family(), &randomized_family(), &vae_family(), &torchscript_family()};
  return kFamilies;
}

const Family& family_of(sweeps::ModelKind kind) {
  for (const Family* f : families())
    if (std::find(f->kinds.begin(), f->kinds.end(), kind) != f->kinds.end()) return *f;
  throw std::invalid_argument("no model family builds model.kind " +
                              std::string(sweeps::name_of(kind)));
}

std::int64_t series_epochs(const sweeps::TrialConfig& c) {
  return c.train.epochs * family_of(c.model.kind).stages(c.model);
}

std::int64_t one_stage(const sweeps::ModelConfig&) {
  return 1;
}

std::string unless_shift_encoder(const sweeps::ModelConfig& c) {
  if (c.encoder == sweeps::EncoderKind::kShift) return "the shift encoder's layers are not fused yet";
  return "";
}

}  // namespace models
