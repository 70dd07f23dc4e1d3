#include "sweeps/metrics.h"

#include <array>
#include <cctype>

namespace sweeps {
namespace {

// Where each is computed: runner/train/evaluation.cpp, trainer.cpp and the models' own
// metrics() (models/dense.cpp, vae.cpp). "_class_<k>" ones are per digit class.
constexpr std::array<const char*, 23> kNames = {"recon_mse",
                                                "probe_accuracy",
                                                "seconds",
                                                "samples_per_s",
                                                "seconds_setup",
                                                "seconds_train",
                                                "seconds_evaluation",
                                                "seconds_checkpoints",
                                                "seconds_final",
                                                "seconds_probe",
                                                "seconds_adversary",
                                                "seconds_pictures",
                                                "recon_mse_corrupted",
                                                "invariance_gap",
                                                "adversary_accuracy",
                                                "jacobian_fro",
                                                "active_fraction",
                                                "dead_fraction",
                                                "active_bits",
                                                "kl_prior",
                                                "elbo",
                                                "compression_kl",
                                                "mi_bound"};
constexpr std::array<const char*, 2> kPerClass = {"recon_mse_class_", "active_bits_class_"};

}  // namespace

bool is_final_metric(const std::string& name) {
  for (const char* n : kNames)
    if (name == n) return true;
  for (const std::string prefix : kPerClass) {
    if (name.rfind(prefix, 0) != 0 || name.size() == prefix.size()) continue;
    bool digits = true;
    for (std::size_t i = prefix.size(); i < name.size(); ++i)
      digits = digits && std::isdigit(static_cast<unsigned char>(name[i]));
    if (digits) return true;
  }
  return false;
}

std::string final_metric_list() {
  std::string out;
  for (const char* n : kNames) out += (out.empty() ? "" : ", ") + std::string(n);
  for (const std::string p : kPerClass) out += ", " + p + "<k>";
  return out;
}

}  // namespace sweeps
