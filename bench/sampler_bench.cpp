// The search library's samplers on standard test functions, without training (bench/sampler.sh
// runs this beside bench/sampler_optuna.py and compares). Prints tab-separated rows:
//   quality <function> <sampler> <trials> <median over seeds>   (regret, or hypervolume)
//   proposal_ms <finished trials> <ms per proposal>
// Arguments: seeds (20), TPE's candidates per proposal (its default).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "bench/test_functions.h"
#include "search/pareto.h"
#include "search/sampler.h"

namespace {

using search::Observation;
using search::SamplerOptions;

// Quality after each checkpoint in `at`: best regret (one objective) or hypervolume (two).
std::vector<double> run_one(const bench::TestFunction& f, const SamplerOptions& options, int seed,
                            const std::vector<int>& at) {
  std::vector<Observation> history;
  std::vector<double> out;
  for (int t = 1; t <= at.back(); ++t) {
    const auto seed_t =
        static_cast<std::uint64_t>(seed) * 1000003ULL + static_cast<std::uint64_t>(t);
    Observation o;
    o.x = search::propose(f.space, history, options, seed_t);
    o.values = f.evaluate(o.x);
    history.push_back(std::move(o));
    if (std::find(at.begin(), at.end(), t) != at.end()) out.push_back(bench::quality(f, history));
  }
  return out;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

void quality_rows(int seeds, int candidates) {
  const std::vector<int> at = {25, 50, 100};
  for (const auto& f : bench::test_functions()) {
    for (auto kind : {SamplerOptions::Kind::kTpe, SamplerOptions::Kind::kRandom}) {
      SamplerOptions options;
      options.kind = kind;
      options.candidates = candidates;
      std::vector<std::vector<double>> by_at(at.size());
      for (int s = 0; s < seeds; ++s) {
        const auto q = run_one(f, options, s, at);
        for (std::size_t k = 0; k < at.size(); ++k) by_at[k].push_back(q[k]);
      }
      for (std::size_t k = 0; k < at.size(); ++k)
        std::printf("quality\t%s\t%s\t%d\t%.6g\n", f.name.c_str(),
                    kind == SamplerOptions::Kind::kTpe ? "runner-tpe" : "runner-random", at[k],
                    median(by_at[k]));
    }
  }
}

// Time of one TPE proposal with `n` finished trials of Hartmann-6 behind it.
void proposal_rows() {
  const auto functions = bench::test_functions();
  const auto& f = *std::find_if(functions.begin(), functions.end(),
                                [](const auto& g) { return g.name == "hartmann6"; });
  for (int n : {100, 1000, 10000}) {
    std::vector<Observation> history;
    std::mt19937_64 rng(7);
    for (int i = 0; i < n; ++i) {
      Observation o;
      o.x = search::random_point(f.space, rng);
      o.values = f.evaluate(o.x);
      history.push_back(std::move(o));
    }
    const int reps = 20;
    const auto t0 = std::chrono::steady_clock::now();
    for (int r = 0; r < reps; ++r)
      search::propose(f.space, history, {}, static_cast<std::uint64_t>(r));
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() /
        reps;
    std::printf("proposal_ms\t%d\t%.3f\n", n, ms);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const int seeds = argc > 1 ? std::atoi(argv[1]) : 20;
  const int candidates = argc > 2 ? std::atoi(argv[2]) : SamplerOptions{}.candidates;
  quality_rows(seeds, candidates);
  proposal_rows();
}
