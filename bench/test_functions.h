#pragma once
// The standard functions bench/sampler_bench searches, and how good a history on them is. The
// same definitions are in bench/sampler_optuna.py, for Optuna: keep the two alike.
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "search/pareto.h"
#include "search/space.h"

namespace bench {

struct TestFunction {
  std::string name;
  search::Space space;
  std::function<std::vector<double>(const search::Point&)> evaluate;
  double minimum = 0;                  // one objective: the known optimum
  std::vector<double> reference = {};  // two objectives: the hypervolume's reference point
};

inline double branin(const search::Point& x) {
  const double pi = M_PI, b = 5.1 / (4 * pi * pi), c = 5 / pi, t = 1 / (8 * pi);
  const double u = x[1] - b * x[0] * x[0] + c * x[0] - 6;
  return u * u + 10 * (1 - t) * std::cos(x[0]) + 10;
}

inline double hartmann6(const search::Point& x) {
  static const double a[4] = {1.0, 1.2, 3.0, 3.2};
  static const double A[4][6] = {{10, 3, 17, 3.5, 1.7, 8},
                                 {0.05, 10, 17, 0.1, 8, 14},
                                 {3, 3.5, 1.7, 10, 17, 8},
                                 {17, 8, 0.05, 10, 0.1, 14}};
  static const double P[4][6] = {{0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886},
                                 {0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991},
                                 {0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650},
                                 {0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381}};
  double sum = 0;
  for (int i = 0; i < 4; ++i) {
    double e = 0;
    for (int j = 0; j < 6; ++j) e += A[i][j] * (x[j] - P[i][j]) * (x[j] - P[i][j]);
    sum += a[i] * std::exp(-e);
  }
  return -sum;
}

// A learning rate (log-uniform), a width (int), an activation (choice) and a shift (uniform),
// as a sweep's space mixes them; its optimum 0 is at lr 1e-2, width 7, choice 1, shift 0.
inline double mixed(const search::Point& x) {
  static const double offset[3] = {0.5, 0.0, 1.0};
  const double l = std::log10(x[0]) + 2, w = x[1] - 7;
  return l * l + w * w / 10 + offset[static_cast<int>(x[2])] + x[3] * x[3];
}

// ZDT1 (convex front) and ZDT2 (concave), 30 variables in [0, 1].
inline std::vector<double> zdt(const search::Point& x, bool concave) {
  double s = 0;
  for (std::size_t i = 1; i < x.size(); ++i) s += x[i];
  const double g = 1 + 9 * s / static_cast<double>(x.size() - 1), r = x[0] / g;
  return {x[0], g * (1 - (concave ? r * r : std::sqrt(r)))};
}

inline search::Space unit_cube(int d) {
  search::Space s;
  for (int i = 0; i < d; ++i)
    s.push_back({"x" + std::to_string(i), search::Param::Kind::kUniform, 0, 1});
  return s;
}

inline std::vector<TestFunction> test_functions() {
  using K = search::Param::Kind;
  return {
      {"branin",
       {{"x0", K::kUniform, -5, 10}, {"x1", K::kUniform, 0, 15}},
       [](const search::Point& x) { return std::vector<double>{branin(x)}; },
       0.397887},
      {"hartmann6", unit_cube(6),
       [](const search::Point& x) { return std::vector<double>{hartmann6(x)}; }, -3.32237},
      {"mixed",
       {{"lr", K::kLogUniform, 1e-5, 1},
        {"width", K::kInt, 1, 32},
        {"act", K::kChoice, 0, 0, 3},
        {"shift", K::kUniform, -2, 2}},
       [](const search::Point& x) { return std::vector<double>{mixed(x)}; },
       0},
      {"zdt1", unit_cube(30), [](const search::Point& x) { return zdt(x, false); }, 0, {1.1, 11}},
      {"zdt2", unit_cube(30), [](const search::Point& x) { return zdt(x, true); }, 0, {1.1, 11}},
  };
}

// Best regret so far (one objective), or the hypervolume of every trial so far (two).
inline double quality(const TestFunction& f, const std::vector<search::Observation>& history) {
  if (f.reference.empty()) {
    double best = INFINITY;
    for (const auto& o : history) best = std::min(best, o.values[0]);
    return best - f.minimum;
  }
  std::vector<search::Objectives> points;
  for (const auto& o : history) points.push_back(o.values);
  return search::hypervolume(points, f.reference);
}

}  // namespace bench
