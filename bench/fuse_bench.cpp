// A benchmark harness, not a product mode: trains N trials of one shape (differing in seed and
// learning rate, as a sweep's would) in fused arrays of K (runner::train_array; K = 1 trains them
// one after another with train_trial), on this process alone, and prints one line:
//   K=<k> trials=<n> seconds=<s> train_seconds=<s> trials_per_hour=<t> samples_per_s=<s>
// where train_seconds is the time in training steps (the members' samples_per_s), the rest being
// set-up, the per-epoch test error and each trial's final evaluation. bench/fuse.sh drives it.
//
//   fuse_bench K N HIDDEN LATENT BATCH EPOCHS THREADS [cpu|cuda]
#include <chrono>
#include <iostream>
#include <string>
#include <vector>

#include "cluster/group.h"
#include "cluster/mpi_context.h"
#include "data/datasets.h"
#include "runner/training.h"
#include "util/metrics.h"

namespace {

runner::Assignment trial(int i, const std::vector<std::string>& args) {
  runner::Assignment a;
  a.trial_id = "bench-" + std::to_string(i);
  a.seed = 1000 + i;
  a.threads = std::stoi(args[6]);
  a.config.data.path = data::resolve_dataset("mnist", ".");
  a.config.model.hidden = {std::stol(args[2])};
  a.config.model.latent = std::stol(args[3]);
  a.config.train.batch_size = std::stol(args[4]);
  a.config.train.epochs = std::stol(args[5]);
  a.config.train.lr = 1e-3 * (1 + i % 4);
  a.config.train.device =
      args.size() > 7 && args[7] == "cuda" ? sweeps::Device::kCuda : sweeps::Device::kCpu;
  return a;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() < 7) {
    std::cerr << "usage: fuse_bench K N HIDDEN LATENT BATCH EPOCHS THREADS [cpu|cuda]\n";
    return 2;
  }
  cluster::MpiContext mpi(&argc, &argv);
  cluster::Group alone(mpi, MPI_COMM_SELF);
  const int k = std::stoi(args[0]), n = std::stoi(args[1]);
  const std::int64_t train_n = data::load_dataset(trial(0, args).config.data.path).train.n;
  double train_seconds = 0;
  std::int64_t samples = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (int first = 0; first < n; first += k) {
    std::vector<runner::Assignment> members;
    for (int i = first; i < std::min(n, first + k); ++i) members.push_back(trial(i, args));
    std::vector<runner::TrialHooks> hooks(members.size());
    auto record = [&](std::size_t, const runner::TrialOutput& out) {
      if (!out.error.empty()) throw std::runtime_error(out.error);
      const double rate = util::find_metric(out.metrics, "samples_per_s").value_or(0);
      const auto trained = train_n * members[0].config.train.epochs;
      samples += trained;
      train_seconds += static_cast<double>(trained) / rate / static_cast<double>(members.size());
    };
    if (members.size() == 1)
      record(0, runner::train_trial(members[0], alone, hooks[0]));
    else
      runner::train_array(members, alone, hooks, record);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::cout << "K=" << k << " trials=" << n << " seconds=" << seconds
            << " train_seconds=" << train_seconds << " trials_per_hour=" << n * 3600.0 / seconds
            << " samples_per_s=" << static_cast<double>(samples) / train_seconds << std::endl;
  return 0;
}
