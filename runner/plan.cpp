#include "runner/plan.h"

#include <algorithm>
#include <map>

#include "cluster/blas.h"
#include "data/datasets.h"
#include "models/corruptions.h"
#include "models/family.h"
#include "models/torchscript.h"
#include "runner/schedule/arrays.h"
#include "sweeps/schema.h"
#include "util/files.h"

namespace runner {
namespace {

// The first batch of the trial's training data as its encoder sees it, clean.
torch::Tensor first_batch(const sweeps::TrialConfig& c) {
  data::Split s = data::take_first(data::load_dataset(c.data.path).train, c.train.batch_size);
  auto x = torch::from_blob(s.images.data(), {s.n, s.rows * s.cols}, torch::kUInt8)
               .to(torch::kFloat32)
               .div_(255.0);
  return models::clean_input(c.corruption, x);
}

// Checks the module at model.path as trial config `c` would feed it, once per way of feeding it;
// a module that does not fit is an error in the sweep file, before anything is written.
void check_module_file(Plan& plan, const sweeps::TrialConfig& c, const std::string& path) {
  const auto& file = plan.spec.model_files.at(path);
  const std::string fed = file.hash + " " + c.data.path + " " +
                          std::to_string(c.corruption.mask_input) + " " +
                          std::to_string(c.train.batch_size);
  if (!plan.checked_modules.insert(fed).second) return;
  try {
    const auto input = first_batch(c);
    const auto note =
        models::check_module(models::load_module(util::read_file(file.file), file.file), input,
                             input.size(1) / (c.corruption.mask_input ? 2 : 1));
    if (!note.empty()) plan.notes.insert("model.path " + file.file + ": " + note);
  } catch (const models::ModuleError& e) {
    const std::string what = e.what();
    throw sweeps::InputError(plan.spec.source_of("model.path"), "model.path",
                             what.rfind(file.file, 0) == 0 ? what : file.file + ": " + what);
  }
}

// A TorchScript trial's module file and hash as rank 0 read them, each module it may use checked.
void resolve_module(Plan& plan, sweeps::TrialConfig& c) {
  if (c.model.kind != sweeps::ModelKind::kTorchscript) return;
  // A part of a search may take any file its space offers; its own path is then unset.
  if (plan.spec.searching())
    for (const auto& [path, _] : plan.spec.model_files) check_module_file(plan, c, path);
  if (c.model.path.empty()) return;
  check_module_file(plan, c, c.model.path);
  const auto& file = plan.spec.model_files.at(c.model.path);
  c.model.file = file.file;
  c.model.file_hash = file.hash;
}

// The pixels of a dataset's images and its classes, read once.
std::pair<std::int64_t, std::int64_t> dims_of(Plan& plan, const std::string& dir) {
  auto it = plan.dataset_dims.find(dir);
  if (it != plan.dataset_dims.end()) return it->second;
  const data::Dataset d = data::load_dataset(dir);
  return plan.dataset_dims[dir] = {d.train.rows * d.train.cols, d.num_classes};
}

// On a CPU, the most members an array of this trial's shape may hold (0: cluster.fuse decides).
// "auto" asks rank 0's node for a GPU: a cluster's nodes are alike.
std::int64_t fuse_limit(Plan& plan, const sweeps::TrialConfig& c, const std::string& shape) {
  if (shape.empty() || plan.spec.cluster.fuse <= 1 || !plan.spec.cluster.fuse_fits_cache) return 0;
  const auto device = c.train.device;
  if (device == sweeps::Device::kCuda ||
      (device == sweeps::Device::kAuto && torch::cuda::is_available()))
    return 0;
  if (auto it = plan.shape_limits.find(shape); it != plan.shape_limits.end()) return it->second;
  const auto [pixels, classes] = dims_of(plan, c.data.path);
  const auto model =
      models::make_autoencoder(c.model, models::input_width(c.corruption, pixels), pixels, classes);
  std::int64_t values = 0;
  for (const auto& p : model->parameters()) values += p.numel();
  // Each value has its gradient and Adam's two moments beside it, all float.
  const std::int64_t member_bytes = values * 4 * static_cast<std::int64_t>(sizeof(float));
  return plan.shape_limits[shape] =
             cpu_array_limit(member_bytes, cluster::last_level_cache_bytes());
}

}  // namespace

std::size_t add_trial(Plan& plan, sweeps::Trial trial) {
  auto c = sweeps::trial_config_from(trial.params);
  auto it = plan.datasets.find(c.data.dataset);
  if (it == plan.datasets.end()) {
    try {
      it =
          plan.datasets
              .emplace(c.data.dataset, data::resolve_dataset(c.data.dataset, plan.spec.dataset_dir))
              .first;
    } catch (const data::DataError& e) {
      throw sweeps::InputError(plan.spec.source_of("data.dataset"), "data.dataset", e.what());
    }
  }
  c.data.path = it->second;
  resolve_module(plan, c);
  plan.shapes.push_back(models::unfusable_reason(c.model).empty() ? sweeps::array_shape(c) : "");
  plan.fuse_limits.push_back(fuse_limit(plan, c, plan.shapes.back()));
  plan.configs.push_back(std::move(c));
  plan.trials.push_back(std::move(trial));
  return plan.trials.size() - 1;
}

Plan make_plan(const std::string& sweep_path, const std::vector<std::string>& overrides) {
  Plan plan;
  plan.spec = sweeps::load_sweep(sweep_path, overrides);
  auto trials = sweeps::expand(plan.spec);
  plan.varying = sweeps::varying_keys(trials);
  if (plan.spec.searching()) {
    for (const auto& d : plan.spec.space) plan.varying.push_back(d.path);
    std::sort(plan.varying.begin(), plan.varying.end());
    plan.parts = std::move(trials);
    // Every part's dataset is found now, before anything is written.
    for (const auto& part : plan.parts) add_trial(plan, part);
    plan.trials.clear(), plan.configs.clear(), plan.shapes.clear(), plan.fuse_limits.clear();
    return plan;
  }
  for (auto& t : trials) add_trial(plan, std::move(t));
  return plan;
}

std::vector<results::TrialRow> trial_rows(const Plan& plan) {
  std::vector<results::TrialRow> rows;
  for (std::size_t i = 0; i < plan.trials.size(); ++i) {
    const auto& t = plan.trials[i];
    rows.push_back(
        {t.id, t.config_json, t.config_hash, t.repeat, t.seed, models::series_epochs(plan.configs[i])});
  }
  return rows;
}

std::string describe(const Plan& plan, const sweeps::Trial& trial) {
  std::string out;
  for (const auto& k : plan.varying)
    out += (out.empty() ? "" : " ") + k + "=" + sweeps::to_display(trial.params.at(k));
  if (plan.spec.repeats > 1)
    out += (out.empty() ? "" : " ") + std::string("repeat=") + std::to_string(trial.repeat);
  return out;
}

Assignment assignment_of(const Plan& plan, std::size_t i) {
  Assignment t;
  t.trial_id = plan.trials[i].id;
  t.seed = plan.trials[i].seed;
  t.config = plan.configs[i];
  t.threads = plan.spec.cluster.threads_per_rank;
  t.collective_timeout_s = plan.spec.cluster.collective_timeout_s;
  t.ranks_per_gpu = plan.spec.cluster.ranks_per_gpu;
  t.heartbeat_s = plan.spec.cluster.heartbeat_s;
  const bool pbt =
      !plan.spec.space.empty() && plan.spec.search.sampler == sweeps::SamplerKind::kPbt;
  // A member of a population asks rank 0 after every epoch, as early stopping does.
  t.early_stop = pbt || plan.spec.early_stop.kind != sweeps::EarlyStopKind::kNone;
  if (pbt) {
    t.pbt_interval = plan.spec.search.interval;
    for (const auto& d : plan.spec.space) t.pbt_keys.push_back(d.path);
  }
  t.shape = plan.shapes[i];
  t.fuse_limit = plan.fuse_limits[i];
  return t;
}

std::vector<std::vector<std::size_t>> plan_arrays(const Plan& plan) {
  return form_arrays(plan.shapes, plan.fuse_limits, plan.spec.cluster.fuse);
}

void print_arrays(const Plan& plan, std::ostream& out) {
  const auto arrays = plan_arrays(plan);
  std::size_t fused = 0;
  for (const auto& a : arrays) fused += a.size() > 1 ? 1 : 0;
  out << "cluster.fuse = " << plan.spec.cluster.fuse << ": " << fused << " fused array(s), "
      << arrays.size() - fused << " trials alone" << std::endl;
  std::set<std::int64_t> limits;
  for (const auto& [shape, limit] : plan.shape_limits)
    if (limit > 0 && limit < plan.spec.cluster.fuse) limits.insert(limit);
  for (const auto limit : limits)
    out << "  on the CPU, arrays of " << limit
        << " at most for some shapes: their members' weights, "
        << "gradients and Adam moments fill a quarter of the "
        << cluster::last_level_cache_bytes() / (1 << 20)
        << " MB last-level cache, and a larger array would train slower" << std::endl;
  std::size_t n = 0;
  for (const auto& a : arrays) {
    if (a.size() > 1) {
      out << "  array " << ++n << "  " << a.size() << " trials:";
      for (std::size_t i : a) out << " " << plan.trials[i].id;
      out << std::endl;
      continue;
    }
    const auto why = models::unfusable_reason(plan.configs[a[0]].model);
    out << "  alone    " << plan.trials[a[0]].id << "  "
        << (!why.empty()                  ? "does not fuse: " + why
            : plan.fuse_limits[a[0]] == 1 ? std::string("too large to fuse on the CPU (above)")
                                          : "no other trial of its shape is left to fuse with")
        << std::endl;
  }
}

}  // namespace runner
