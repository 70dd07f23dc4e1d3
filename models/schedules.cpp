#include "models/schedules.h"

#include <cmath>
#include <stdexcept>

#include "sweeps/piecewise.h"

namespace models {

double kl_factor(const sweeps::KlConfig& s, std::int64_t epoch, std::int64_t epochs) {
  using sweeps::KlSchedule;
  if (s.schedule == KlSchedule::kConstant) return 1.0;
  const double cycles = s.schedule == KlSchedule::kMonotone ? 1.0 : static_cast<double>(s.cycles);
  const double period = static_cast<double>(epochs) / cycles;
  const double tau = std::fmod(static_cast<double>(epoch), period) / period;
  if (tau >= s.ratio) return 1.0;
  const double t = tau / s.ratio;  // progress through the rising part, in [0, 1)
  switch (s.shape) {
    case sweeps::KlShape::kLinear:
      return t;
    case sweeps::KlShape::kCosine:
      return 0.5 - 0.5 * std::cos(M_PI * t);
    case sweeps::KlShape::kSigmoid:
      return 1.0 / (1.0 + std::exp(-(12.0 * t - 6.0)));
  }
  throw std::invalid_argument("unknown kl.shape");
}

LossWeights epoch_weights(const sweeps::TrialConfig& c, std::int64_t epoch) {
  const double beta =
      c.loss.beta_schedule.empty()
          ? c.loss.beta
          : sweeps::piecewise_at(sweeps::parse_pieces(c.loss.beta_schedule, 0), epoch, c.loss.beta);
  return {beta * kl_factor(c.kl, epoch - 1, c.train.epochs), c.loss.lambda};
}

double epoch_lr(const sweeps::TrialConfig& c, std::int64_t epoch) {
  if (c.train.lr_schedule.empty()) return c.train.lr;
  return sweeps::piecewise_at(sweeps::parse_pieces(c.train.lr_schedule, 0), epoch, c.train.lr);
}

}  // namespace models
