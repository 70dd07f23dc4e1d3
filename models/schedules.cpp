#include "models/schedules.h"

#include <cmath>
#include <stdexcept>

namespace models {

double kl_factor(const sweeps::KlConfig& s, std::int64_t epoch, std::int64_t epochs) {
  if (s.schedule == "constant") return 1.0;
  const double cycles = s.schedule == "monotone" ? 1.0 : static_cast<double>(s.cycles);
  const double period = static_cast<double>(epochs) / cycles;
  const double tau = std::fmod(static_cast<double>(epoch), period) / period;
  if (tau >= s.ratio) return 1.0;
  const double t = tau / s.ratio;  // progress through the rising part, in [0, 1)
  if (s.shape == "linear") return t;
  if (s.shape == "cosine") return 0.5 - 0.5 * std::cos(M_PI * t);
  if (s.shape == "sigmoid") return 1.0 / (1.0 + std::exp(-(12.0 * t - 6.0)));
  throw std::invalid_argument("unknown kl.shape " + s.shape);
}

}  // namespace models
