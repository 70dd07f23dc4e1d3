// `runner slurm`: validates the sweep and the options, writes the batch script, and submits it.
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <iostream>
#include <stdexcept>

#include "cluster/slurm.h"
#include "results/artifacts.h"
#include "runner/cli/commands.h"
#include "util/errors.h"
#include "util/files.h"

namespace runner {
namespace {

// A whole number from an option, within [min, max]; an input error naming the option otherwise.
int int_option(const Args& a, const std::string& name, int fallback, int min, int max) {
  if (!a.values.count(name)) return fallback;
  const std::string given = a.value(name);
  std::size_t used = 0;
  long v = 0;
  try {
    v = std::stol(given, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != given.size() || used == 0 || v < min || v > max)
    throw util::usage_error(name + " must be a whole number from " + std::to_string(min) + " to " +
                            std::to_string(max) + ", got '" + given + "'");
  return static_cast<int>(v);
}

std::string absolute(const std::string& path) {
  if (!path.empty() && path[0] == '/') return path;
  char cwd[PATH_MAX];
  if (!::getcwd(cwd, sizeof cwd)) throw std::runtime_error("cannot read the working directory");
  return std::string(cwd) + "/" + path;
}

std::string this_executable() {
  char exe[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) throw std::runtime_error("cannot find the runner binary (/proc/self/exe)");
  return std::string(exe, static_cast<std::size_t>(n));
}

// The job's size, limits and time from the options; usage errors for anything out of range.
cluster::SlurmJob job_from_options(const Args& a, const Plan& plan) {
  cluster::SlurmJob job;
  job.nodes = int_option(a, "--nodes", 1, 1, 100000);
  job.ntasks_per_node = int_option(a, "--ntasks-per-node", 2, 1, 4096);
  job.gpus_per_node = int_option(a, "--gpus-per-node", 0, 0, 64);
  job.cpus_per_task = int_option(a, "--cpus-per-task", 1, 1, 4096);
  job.warn_s = int_option(a, "--warn-seconds", 300, 1, 65535);  // sbatch's own limit
  job.max_requeues = int_option(a, "--max-requeues", 10, 0, 1000);
  job.array = int_option(a, "--array", 0, 1, 100000);
  if (static_cast<long>(job.nodes) * job.ntasks_per_node > 1000000)
    throw util::usage_error("--nodes times --ntasks-per-node is over a million ranks");
  std::vector<std::string> hosts;  // SLURM's block distribution: a node's tasks are consecutive
  for (int n = 0; n < job.nodes; ++n)
    hosts.insert(hosts.end(), job.ntasks_per_node, "node" + std::to_string(n));
  layout_for(plan, hosts, true);
  if (a.values.count("--time")) {
    const std::string t = a.value("--time");
    long limit = 0;
    try {
      limit = cluster::time_limit_seconds(t);
    } catch (const std::invalid_argument& e) {
      throw util::usage_error(std::string("--time: ") + e.what());
    }
    if (limit <= job.warn_s)
      throw util::usage_error("--time " + t + " leaves no time before the warning " +
                              std::to_string(job.warn_s) + " s ahead of it; lower --warn-seconds");
    job.time = t;
  }
  job.partition = a.value("--partition");
  job.account = a.value("--account");
  return job;
}

}  // namespace

int cmd_slurm(Args& a) {
  const Plan& plan = *a.plan;  // validated before anything is written
  cluster::SlurmJob job = job_from_options(a, plan);
  const std::string db = absolute(db_path(a, plan));
  const std::string given = a.value("--script");
  const std::string script =
      absolute(given.empty() ? results::batch_script_path(db) : given);
  job.name = "runner-" + plan.spec.name;
  job.workdir = absolute(".");
  job.output = results::job_log_path(db, job.array > 0);  // an array's elements log apart
  job.command = {this_executable(), "run", absolute(a.positional[0]), "--db", db};
  for (const auto& set : a.sets) job.command.insert(job.command.end(), {"--set", set});
  if (a.keep_checkpoints) job.command.push_back("--keep-checkpoints");
  util::write_file_atomically(script, cluster::batch_script(job));
  util::check_syscall(::chmod(script.c_str(), 0755), script + ": chmod");
  // A search's trials are proposed as it runs: its budget is what the script may train.
  const auto trials = plan.spec.searching() ? sweeps::count_trials(plan.spec)
                                            : static_cast<std::int64_t>(plan.trials.size());
  std::cout << "wrote " << script << "  (" << trials
            << (plan.spec.searching() ? " trials at most, " : " trials, ")
            << (job.array > 0 ? std::to_string(job.array) + " array jobs of " : "") << job.nodes
            << " node(s) x " << job.ntasks_per_node << " ranks; log " << job.output << ")"
            << std::endl;
  if (!a.submit) {
    std::cout << "submit with: sbatch " << cluster::shell_quote(script) << std::endl;
    return util::kExitOk;
  }
  std::cout << "submitted job " << cluster::submit_batch(script) << std::endl;
  return util::kExitOk;
}

}  // namespace runner
