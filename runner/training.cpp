#include "runner/training.h"

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <sstream>
#include <stdexcept>

#include "cluster/backend.h"
#include "cluster/data_parallel.h"
#include "data/datasets.h"
#include "models/autoencoder.h"
#include "models/corruptions.h"
#include "models/schedules.h"
#include "runner/checkpoint.h"
#include "runner/flat_adam.h"
#include "runner/pictures.h"

namespace runner {
namespace {

constexpr std::int64_t kEvalChunk = 2048;       // test samples per forward pass in evaluation
constexpr std::int64_t kProbeIterations = 100;  // L-BFGS iterations of the linear probe
constexpr double kProbeWeightDecay = 1e-4;      // keeps the probe finite on separable codes

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

struct SplitTensors {
  torch::Tensor x;  // (n, pixels) float in [0, 1]
  torch::Tensor y;  // (n) int64
};

struct DataTensors {
  SplitTensors train, test;
  std::int64_t num_classes = 0;
  std::int64_t rows = 0, cols = 0;
};

SplitTensors to_tensors(const data::Split& s) {
  auto x = torch::from_blob(const_cast<std::uint8_t*>(s.images.data()), {s.n, s.rows * s.cols},
                            torch::kUInt8)
               .to(torch::kFloat32)
               .div_(255.0);
  auto y = torch::from_blob(const_cast<std::uint8_t*>(s.labels.data()), {s.n}, torch::kUInt8)
               .to(torch::kInt64);
  return {x, y};
}

// A rank trains many trials on the same data: decode each dataset once per process.
const DataTensors& dataset_tensors(const std::string& dir) {
  static std::map<std::string, std::unique_ptr<DataTensors>> cache;
  auto& slot = cache[dir];
  if (!slot) {
    data::Dataset d = data::load_dataset(dir);
    slot = std::make_unique<DataTensors>(DataTensors{to_tensors(d.train), to_tensors(d.test),
                                                     d.num_classes, d.train.rows, d.train.cols});
  }
  return *slot;
}

SplitTensors first(const SplitTensors& s, std::int64_t limit) {
  if (limit <= 0 || limit >= s.x.size(0)) return s;
  return {s.x.narrow(0, 0, limit), s.y.narrow(0, 0, limit)};
}

SplitTensors to_device(const SplitTensors& s, const torch::Device& device) {
  return {s.x.to(device), s.y.to(device)};
}

// Fisher-Yates on std::mt19937_64 (its output is fixed by the standard): the same batch order on
// every platform and LibTorch version, which torch::randperm does not promise.
torch::Tensor permutation(std::int64_t n, std::mt19937_64& rng) {
  std::vector<std::int64_t> p(n);
  for (std::int64_t i = 0; i < n; ++i) p[i] = i;
  for (std::int64_t i = n - 1; i > 0; --i)
    std::swap(p[i], p[rng() % static_cast<std::uint64_t>(i + 1)]);
  return torch::tensor(p, torch::kInt64);
}

// Per-sample reconstruction error (mean over pixels) of the clean images from `input`, and the
// codes of `input`, in evaluation mode.
std::pair<torch::Tensor, torch::Tensor> evaluate(models::AutoencoderImpl& model,
                                                 const torch::Tensor& input,
                                                 const SplitTensors& clean) {
  torch::NoGradGuard no_grad;
  model.eval();
  std::vector<torch::Tensor> errors, codes;
  for (std::int64_t i = 0; i < input.size(0); i += kEvalChunk) {
    const std::int64_t n = std::min(kEvalChunk, input.size(0) - i);
    auto in = input.narrow(0, i, n);
    errors.push_back(
        (model.reconstruct(in, clean.y.narrow(0, i, n)) - clean.x.narrow(0, i, n)).pow(2).mean(1));
    codes.push_back(model.encode(in));
  }
  model.train();
  return {torch::cat(errors), torch::cat(codes)};
}

// The codes of `input`, in evaluation mode (no reconstruction).
torch::Tensor codes_of(models::AutoencoderImpl& model, const torch::Tensor& input) {
  torch::NoGradGuard no_grad;
  model.eval();
  std::vector<torch::Tensor> codes;
  for (std::int64_t i = 0; i < input.size(0); i += kEvalChunk)
    codes.push_back(model.encode(input.narrow(0, i, std::min(kEvalChunk, input.size(0) - i))));
  model.train();
  return torch::cat(codes);
}

// Accuracy of a softmax classifier trained on the train codes and scored on the test codes
// (document 001's "classification accuracy"). Codes are standardised with train statistics.
double probe_accuracy(torch::Tensor z_train, const torch::Tensor& y_train, torch::Tensor z_test,
                      const torch::Tensor& y_test, std::int64_t classes) {
  auto mean = z_train.mean(0, true);
  auto std = z_train.std(0, true, true).clamp_min(1e-6);
  z_train = (z_train - mean) / std;
  z_test = (z_test - mean) / std;
  torch::nn::Linear probe(z_train.size(1), classes);
  torch::optim::LBFGS opt(
      probe->parameters(),
      torch::optim::LBFGSOptions(1).max_iter(kProbeIterations).line_search_fn("strong_wolfe"));
  opt.step([&] {
    opt.zero_grad();
    auto loss = torch::cross_entropy_loss(probe->forward(z_train), y_train) +
                kProbeWeightDecay * probe->weight.pow(2).sum();
    loss.backward();
    return loss;
  });
  torch::NoGradGuard no_grad;
  return probe->forward(z_test).argmax(1).eq(y_test).to(torch::kFloat64).mean().item<double>();
}

// How well an MLP predicts the label from the code (document 002's adversary): trained on the
// train codes, scored on the test codes. The lower, the less the code tells about the label.
double adversary_accuracy(const torch::Tensor& z_train, const torch::Tensor& y_train,
                          const torch::Tensor& z_test, const torch::Tensor& y_test,
                          std::int64_t classes, std::int64_t seed) {
  constexpr std::int64_t kHidden = 64, kEpochs = 30, kBatch = 128;
  torch::manual_seed(static_cast<std::uint64_t>(seed) + 1);
  torch::nn::Sequential mlp(torch::nn::Linear(z_train.size(1), kHidden), torch::nn::ReLU(),
                            torch::nn::Linear(kHidden, classes));
  mlp->to(z_train.device());
  torch::optim::Adam opt(mlp->parameters(), torch::optim::AdamOptions(1e-3));
  std::mt19937_64 order(static_cast<std::uint64_t>(seed));
  const std::int64_t n = z_train.size(0);
  for (std::int64_t epoch = 0; epoch < kEpochs; ++epoch) {
    auto perm = permutation(n, order).to(z_train.device());
    for (std::int64_t i = 0; i < n; i += kBatch) {
      auto idx = perm.narrow(0, i, std::min(kBatch, n - i));
      opt.zero_grad();
      torch::cross_entropy_loss(mlp->forward(z_train.index_select(0, idx)),
                                y_train.index_select(0, idx))
          .backward();
      opt.step();
    }
  }
  torch::NoGradGuard no_grad;
  return mlp->forward(z_test).argmax(1).eq(y_test).to(torch::kFloat64).mean().item<double>();
}

// The backend of a group for a device, made once per rank: NCCL communicators are costly to
// set up, and a rank stays in one group for the whole run.
cluster::Backend* backend_for(cluster::Group& group, const torch::Device& device,
                              double timeout_s) {
  if (group.size() == 1) return nullptr;
  static std::map<std::pair<const cluster::Group*, std::string>, std::unique_ptr<cluster::Backend>>
      cache;
  auto& slot = cache[{&group, device.str()}];
  if (!slot) slot = cluster::make_backend(group, device, timeout_s);
  return slot.get();
}

// Fails the trial on every rank of the group when any rank failed this step, with every rank's
// message at the group root. All ranks reach this together, so none is left waiting.
[[noreturn]] void fail_together(cluster::Backend* backend, cluster::Group& group,
                                const std::string& mine) {
  if (!backend) throw std::runtime_error(mine);
  auto all = backend->gather_strings(mine);
  std::string joined;
  for (std::size_t r = 0; r < all.size(); ++r)
    if (!all[r].empty())
      joined += (joined.empty() ? "" : "; ") + std::string("rank ") +
                std::to_string(group.world_ranks()[r]) + ": " + all[r];
  throw std::runtime_error(group.rank() == 0 ? joined : "failed on another rank of the group");
}

std::string bytes_of(const torch::Tensor& t) {
  const auto c = t.to(torch::kCPU).contiguous();
  return std::string(static_cast<const char*>(c.data_ptr()),
                     static_cast<std::size_t>(c.numel()) * c.element_size());
}

void load_bytes(torch::Tensor& t, const std::string& bytes, const char* what) {
  const auto want = static_cast<std::size_t>(t.numel()) * t.element_size();
  if (bytes.size() != want)
    throw std::runtime_error(std::string("checkpoint: ") + what + " has " +
                             std::to_string(bytes.size()) + " bytes, the model needs " +
                             std::to_string(want));
  torch::NoGradGuard no_grad;
  t.copy_(torch::from_blob(const_cast<char*>(bytes.data()), t.sizes(),
                           t.options().device(torch::kCPU)));
}

// LibTorch's default generator of a device: noise and corruptions draw from it.
std::string rng_state(const torch::Device& device) {
  auto gen = at::globalContext().defaultGenerator(device);
  std::lock_guard<std::mutex> lock(gen.mutex());
  return bytes_of(gen.get_state());
}

void set_rng_state(const torch::Device& device, const std::string& bytes) {
  auto gen = at::globalContext().defaultGenerator(device);
  auto state = torch::empty({static_cast<std::int64_t>(bytes.size())}, torch::kUInt8);
  std::memcpy(state.data_ptr(), bytes.data(), bytes.size());
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(state);
}

std::string text_of(const std::mt19937_64& engine) {
  std::ostringstream os;
  os << engine;
  return os.str();
}

std::mt19937_64 engine_of(const std::string& text) {
  std::mt19937_64 engine;
  std::istringstream is(text);
  is >> engine;
  if (!is) throw std::runtime_error("checkpoint: batch order state unreadable");
  return engine;
}

}  // namespace

TrialOutput train_trial(const Assignment& a, cluster::Group& group, const EpochCallback& on_epoch,
                        torch::Tensor* final_parameters) {
  TrialHooks hooks;
  hooks.on_epoch = [&](std::int64_t epoch, const Metrics& values, const std::string&) {
    on_epoch(epoch, values);
  };
  return train_trial(a, group, hooks, final_parameters);
}

TrialOutput train_trial(const Assignment& a, cluster::Group& group, const TrialHooks& hooks,
                        torch::Tensor* final_parameters) {
  const auto t_start = Clock::now();
  const auto& c = a.config;
  if (a.threads > 0) torch::set_num_threads(static_cast<int>(a.threads));
  torch::manual_seed(static_cast<std::uint64_t>(a.seed));
  const torch::Device device = cluster::choose_device(c.train.device, group.world().local_rank());
  const bool root = group.rank() == 0;

  const DataTensors& all = dataset_tensors(c.data.path);
  const SplitTensors train = to_device(first(all.train, c.data.train_limit), device);
  const SplitTensors test = to_device(first(all.test, c.data.test_limit), device);
  const std::int64_t n = train.x.size(0);
  const auto& corruption = c.corruption;
  const bool corrupting = corruption.kind != "none";
  // What the encoder sees of a clean image: the image, and an all-ones mask with mask_input.
  auto clean_input = [&](const torch::Tensor& x) {
    return models::network_input(corruption, {x, torch::ones_like(x)});
  };
  const torch::Tensor train_input = clean_input(train.x), test_input = clean_input(test.x);

  auto model =
      models::make_autoencoder(c.model, train_input.size(1), train.x.size(1), all.num_classes);
  model->to(device);
  cluster::Backend* backend = backend_for(group, device, a.collective_timeout_s);
  // Three scalars ride with the gradients: this rank's loss sum, whether it failed, and whether
  // it was asked to stop.
  FlatParameters flat(model->parameters(), 3);
  if (backend) backend->broadcast(flat.values());  // identical replicas, whatever each RNG did
  std::mt19937_64 batch_order(static_cast<std::uint64_t>(a.seed));
  double train_seconds = 0;
  std::int64_t series_epoch = 0;  // epochs counted across stages

  // Where to go on from: the start, or the checkpoint. Every rank of the group loads the same one,
  // so the replicas stay identical.
  Checkpoint from;
  if (!a.checkpoint.empty()) {
    from = decode_checkpoint(a.checkpoint, "trial " + a.trial_id);
    for (std::int64_t stage = 0; stage < from.stage; ++stage) {
      model->begin_stage(stage);
      model->end_stage(stage);
    }
    load_bytes(flat.values(), from.parameters, "parameters");
    batch_order = engine_of(from.batch_order);
    set_rng_state(torch::kCPU, from.cpu_rng);
    if (device.is_cuda() && !from.device_rng.empty()) set_rng_state(device, from.device_rng);
    train_seconds = from.train_seconds;
    series_epoch = from.series_epoch;
  }

  for (std::int64_t stage = from.stage; stage < model->stages(); ++stage) {
    model->begin_stage(stage);
    FlatAdam opt(flat, c.train.lr);  // fresh state: what earlier stages trained must not drift
    const bool resuming_stage = !a.checkpoint.empty() && stage == from.stage;
    if (resuming_stage) {
      load_bytes(opt.exp_avg(), from.adam_m, "Adam's first moment");
      load_bytes(opt.exp_avg_sq(), from.adam_v, "Adam's second moment");
      opt.set_steps(from.adam_steps);
    }
    for (std::int64_t epoch = resuming_stage ? from.stage_epoch + 1 : 1; epoch <= c.train.epochs;
         ++epoch) {
      ++series_epoch;
      const auto t_epoch = Clock::now();
      const std::mt19937_64 order_before = batch_order;  // a mid-epoch checkpoint draws it again
      auto perm = permutation(n, batch_order).to(device);
      const models::LossWeights weights{
          c.loss.beta * models::kl_factor(c.kl, epoch - 1, c.train.epochs), c.loss.lambda};
      // An epoch stopped part-way goes on at its next sample, with its loss sum so far.
      const bool part_done =
          resuming_stage && epoch == from.stage_epoch + 1 && from.next_sample > 0;
      double loss_sum = part_done ? from.loss_sum : 0.0;
      std::int64_t stopped_at = 0;  // the first sample not trained when the group stops, or 0
      for (std::int64_t start = part_done ? from.next_sample : 0, step = start / c.train.batch_size;
           start < n; start += c.train.batch_size, ++step) {
        const std::int64_t batch = std::min(c.train.batch_size, n - start);
        const auto [begin, end] = cluster::shard(batch, group.rank(), group.size());
        // This rank's loss sum, whether it failed, whether it was asked to stop.
        double scalars[3] = {0.0, 0.0, hooks.should_stop && hooks.should_stop() ? 1.0 : 0.0};
        std::string error;
        flat.zero_grad();
        // Noise for the whole global batch, drawn alike on every rank: a sample's noise must not
        // depend on how the batch is sharded (nor the global RNG state drift between ranks).
        torch::Tensor noise;
        if (model->noise_dim() > 0) noise = torch::randn({batch, model->noise_dim()}).to(device);
        if (end > begin) {
          try {
            auto idx = perm.narrow(0, start + begin, end - begin);
            auto x = train.x.index_select(0, idx);
            // Corrupt the whole global batch alike on every rank, then keep this rank's shard.
            auto input =
                corrupting
                    ? models::network_input(
                          corruption,
                          models::corrupt(corruption,
                                          train.x.index_select(0, perm.narrow(0, start, batch)),
                                          all.rows, all.cols))
                          .narrow(0, begin, end - begin)
                    : train_input.index_select(0, idx);
            models::Batch b{input, x, train.y.index_select(0, idx),
                            noise.defined() ? noise.narrow(0, begin, end - begin) : noise};
            auto losses = model->loss(b, weights);
            double value = losses.total.item<double>();
            if (!std::isfinite(value))
              throw std::runtime_error("loss is " + std::to_string(value) + " at epoch " +
                                       std::to_string(epoch) + ", step " + std::to_string(step) +
                                       " (learning rate " + std::to_string(c.train.lr) +
                                       " too high?)");
            // Weighted by the shard's share, the group's summed gradient is the global batch's.
            (losses.total * (static_cast<double>(end - begin) / static_cast<double>(batch)))
                .backward();
            scalars[0] = value * static_cast<double>(end - begin);
          } catch (const std::exception& e) {
            scalars[1] = 1;
            error = e.what();
          }
        }
        if (backend) {
          flat.extra().copy_(torch::tensor({scalars[0], scalars[1], scalars[2]}, torch::kFloat64));
          backend->allreduce_sum(flat.gradients_and_extra());
          auto summed = flat.extra().to(torch::kCPU, torch::kFloat64);
          for (int k = 0; k < 3; ++k) scalars[k] = summed[k].item<double>();
        }
        if (scalars[1] > 0) fail_together(backend, group, error);
        opt.step();
        loss_sum += scalars[0];
        if (scalars[2] > 0 && start + batch < n) {
          stopped_at = start + batch;
          break;
        }
        if (scalars[2] > 0) stopped_at = n;  // the last step: finish the epoch, then stop
      }
      train_seconds += seconds_since(t_epoch);

      // The trial as it stands, for a checkpoint: after this epoch, or inside it.
      auto capture = [&](std::int64_t next_sample) {
        Checkpoint k;
        k.trial_id = a.trial_id;
        k.stage = stage;
        k.stage_epoch = next_sample > 0 ? epoch - 1 : epoch;
        k.series_epoch = next_sample > 0 ? series_epoch - 1 : series_epoch;
        k.next_sample = next_sample;
        k.loss_sum = next_sample > 0 ? loss_sum : 0.0;
        k.train_seconds = train_seconds;
        k.batch_order = text_of(next_sample > 0 ? order_before : batch_order);
        k.cpu_rng = rng_state(torch::kCPU);
        if (device.is_cuda()) k.device_rng = rng_state(device);
        k.parameters = bytes_of(flat.values());
        k.adam_steps = opt.steps();
        k.adam_m = bytes_of(opt.exp_avg());
        k.adam_v = bytes_of(opt.exp_avg_sq());
        return encode_checkpoint(k);
      };
      if (stopped_at > 0 && stopped_at < n) {
        TrialOutput out;
        out.interrupted = true;
        if (root) out.checkpoint = capture(stopped_at);
        return out;
      }
      // Stopped on the epoch's last step: the epoch is whole, so stop after reporting it (unless
      // the trial is done anyway).
      const bool last = stage + 1 == model->stages() && epoch == c.train.epochs;
      const bool stop_here = stopped_at == n && !last;
      std::string checkpoint;
      if (root) {
        auto [test_err, test_codes] = evaluate(*model, test_input, test);
        Metrics series = {{"train_loss", loss_sum / static_cast<double>(n)},
                          {"test_recon_mse", test_err.mean().item<double>()}};
        if (model->noise_dim() > 0) series.emplace_back("beta", weights.beta);
        if (hooks.checkpoints || stop_here) checkpoint = capture(0);
        if (hooks.on_epoch)
          hooks.on_epoch(series_epoch, series, hooks.checkpoints ? checkpoint : std::string());
      }
      if (stop_here) {
        TrialOutput out;
        out.interrupted = true;
        out.checkpoint = std::move(checkpoint);
        return out;
      }
    }
    model->end_stage(stage);
  }
  if (final_parameters)
    *final_parameters = flat.values().to(torch::kCPU, /*non_blocking=*/false, /*copy=*/true);
  if (!root) return {};

  auto [test_err, test_codes] = evaluate(*model, test_input, test);
  const torch::Tensor train_codes = codes_of(*model, train_input);
  Metrics out = {{"recon_mse", test_err.mean().item<double>()}};
  for (std::int64_t k = 0; k < all.num_classes; ++k) {
    auto mask = test.y.eq(k);
    if (mask.any().item<bool>())
      out.emplace_back("recon_mse_class_" + std::to_string(k),
                       test_err.masked_select(mask).mean().item<double>());
  }
  out.emplace_back("probe_accuracy",
                   probe_accuracy(train_codes, train.y, test_codes, test.y, all.num_classes));
  if (model->noise_dim() > 0)
    out.emplace_back("adversary_accuracy", adversary_accuracy(train_codes, train.y, test_codes,
                                                              test.y, all.num_classes, a.seed));
  {
    const models::LossWeights final_weights{
        c.loss.beta * models::kl_factor(c.kl, c.train.epochs - 1, c.train.epochs), c.loss.lambda};
    model->eval();
    model->add_metrics(test_input, test.y, final_weights, out);
  }
  PictureInputs pictures{test.x,   test.y,   test_input,     {}, {}, {},
                         all.rows, all.cols, all.num_classes};
  if (corrupting) {
    // The test set corrupted once, seeded: the same corruption for every trial of one seed.
    torch::manual_seed(static_cast<std::uint64_t>(a.seed) + 2);
    auto hit = models::corrupt(corruption, test.x, all.rows, all.cols);
    auto corrupted = models::network_input(corruption, hit);
    pictures.corrupted_input = corrupted;
    pictures.corrupted = hit.image;
    pictures.mask = hit.mask;
    auto [err, codes] = evaluate(*model, corrupted, test);
    out.emplace_back("recon_mse_corrupted", err.mean().item<double>());
    // Mean squared distance between the codes of clean and corrupted images, relative to the
    // codes' mean squared norm: 0 for a perfectly invariant code.
    out.emplace_back("invariance_gap", ((codes - test_codes).pow(2).sum(1).mean() /
                                        test_codes.pow(2).sum(1).mean().clamp_min(1e-12))
                                           .item<double>());
  }
  out.emplace_back("samples_per_s", static_cast<double>(n * c.train.epochs * model->stages()) /
                                        std::max(train_seconds, 1e-9));
  Artifacts artifacts = draw_pictures(*model, c.model.kind, pictures);
  out.emplace_back("seconds", seconds_since(t_start));
  TrialOutput result;
  result.metrics = std::move(out);
  result.artifacts = std::move(artifacts);
  return result;
}

}  // namespace runner
