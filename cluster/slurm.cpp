#include "cluster/slurm.h"

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <regex>
#include <sstream>
#include <stdexcept>

namespace cluster {

std::string shell_quote(const std::string& value) {
  if (!value.empty() &&
      value.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                              "0123456789_-+=./:,@%") == std::string::npos)
    return value;
  std::string out = "'";
  for (char c : value) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

long time_limit_seconds(const std::string& limit) {
  static const std::regex with_days(R"((\d+)-(\d+)(?::(\d+))?(?::(\d+))?)");
  static const std::regex plain(R"((\d+)(?::(\d+))?(?::(\d+))?)");
  std::smatch m;
  auto num = [&](int i) { return m[i].matched ? std::stol(m[i].str()) : 0L; };
  if (std::regex_match(limit, m, with_days))
    return ((num(1) * 24 + num(2)) * 60 + num(3)) * 60 + num(4);
  if (std::regex_match(limit, m, plain)) {
    if (m[3].matched) return (num(1) * 60 + num(2)) * 60 + num(3);  // HH:MM:SS
    return num(1) * 60 + num(2);                                    // MM or MM:SS
  }
  throw std::invalid_argument("'" + limit +
                              "' is not a SLURM time limit (MM, HH:MM:SS, D-HH:MM:SS, ...)");
}

std::string batch_script(const SlurmJob& job) {
  std::ostringstream s;
  s << "#!/bin/bash\n"
    << "# Written by `runner slurm`; submit it with sbatch. Exit codes as the runner's, except\n"
    << "# that a run stopped by the time-limit warning ends 0 once it is requeued or told to.\n";
  s << "#SBATCH --job-name=" << job.name << "\n"
    << "#SBATCH --nodes=" << job.nodes << "\n"
    << "#SBATCH --ntasks-per-node=" << job.ntasks_per_node << "\n"
    << "#SBATCH --cpus-per-task=" << job.cpus_per_task << "\n";
  if (job.gpus_per_node > 0) s << "#SBATCH --gpus-per-node=" << job.gpus_per_node << "\n";
  if (!job.time.empty()) s << "#SBATCH --time=" << job.time << "\n";
  if (!job.partition.empty()) s << "#SBATCH --partition=" << job.partition << "\n";
  if (!job.account.empty()) s << "#SBATCH --account=" << job.account << "\n";
  if (job.array > 0) s << "#SBATCH --array=0-" << job.array - 1 << "\n";
  s << "#SBATCH --requeue\n"
    << "# SIGUSR1 to this script (B:) " << job.warn_s << " s before the time limit.\n"
    << "#SBATCH --signal=B:USR1@" << job.warn_s << "\n"
    << "#SBATCH --open-mode=append\n"
    << "#SBATCH --output=" << job.output << "\n\n";
  s << "set -u\n"
    << "cd " << shell_quote(job.workdir) << " || exit 1\n"
    << "max_requeues=" << job.max_requeues << "\n"
    << "restarts=${SLURM_RESTART_COUNT:-0}\n"
    << "echo \"runner: job $SLURM_JOB_ID${SLURM_ARRAY_JOB_ID:+ (array $SLURM_ARRAY_JOB_ID element "
       "$SLURM_ARRAY_TASK_ID)} (restart $restarts) on $SLURM_JOB_NODELIST at $(date -u "
       "+%FT%TZ)\"\n\n";
  s << "warned=0\n"
    << "srun --mpi=pmix --kill-on-bad-exit=1";
  for (const auto& arg : job.command) s << " " << shell_quote(arg);
  s << " &\n"
    << "step=$!\n"
    << "# The warning reaches only this shell: pass it on to every rank (srun forwards SIGUSR1).\n"
    << "# Preemption, requeue and scancel send SIGTERM to the ranks themselves.\n"
    << "trap 'warned=1; kill -USR1 $step 2>/dev/null' USR1\n"
    << "# SLURM signals the ranks itself; this shell waits for them to checkpoint and exit.\n"
    << "trap 'echo \"runner: SIGTERM (preemption, requeue or scancel); ranks checkpoint\"' TERM\n"
    << "# wait returns when a trapped signal arrives: wait again until srun is gone.\n"
    << "while true; do\n"
    << "  wait $step\n"
    << "  rc=$?\n"
    << "  kill -0 $step 2>/dev/null || break\n"
    << "done\n\n";
  s << "if [ $rc -eq " << job.interrupted_exit << " ] && [ $warned -eq 1 ]; then\n"
    << "  if [ $restarts -lt $max_requeues ]; then\n"
    << "    echo \"runner: time limit near, checkpoints written; requeueing job $SLURM_JOB_ID\"\n"
    << "    scontrol requeue \"$SLURM_JOB_ID\" && exit 0\n"
    << "    echo \"runner: scontrol requeue failed; resubmit this script to go on\"\n"
    << "  else\n"
    << "    echo \"runner: time limit near, checkpoints written; $max_requeues requeues used, so "
       "this job ends here. Resubmit this script to go on.\"\n"
    << "  fi\n"
    << "  exit 0\n"
    << "fi\n"
    << "exit $rc\n";
  return s.str();
}

std::string submit_batch(const std::string& script_path) {
  const std::string cmd = "sbatch --parsable " + shell_quote(script_path) + " 2>&1";
  std::FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) throw std::runtime_error("cannot run sbatch");
  std::string out;
  std::array<char, 512> buf;
  while (std::size_t n = std::fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
  const int status = ::pclose(p);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  if (status != 0 || out.empty())
    throw std::runtime_error("sbatch failed" +
                             (WIFEXITED(status) && WEXITSTATUS(status) == 127
                                  ? std::string(": sbatch not found (is SLURM installed?)")
                                  : ": " + out));
  // --parsable prints "jobid" or "jobid;cluster", possibly after warnings on earlier lines.
  std::string last = out.substr(out.rfind('\n') == std::string::npos ? 0 : out.rfind('\n') + 1);
  return last.substr(0, last.find(';'));
}

}  // namespace cluster
