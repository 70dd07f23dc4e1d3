#pragma once
// SLURM as a launcher: the batch script `runner slurm` writes, and its submission with sbatch.
// The script starts every rank with `srun --mpi=pmix` (Debian's Open MPI starts under PMIx; PMI-2
// fails at MPI_Init), asks to be requeued, and has SLURM warn it before the time limit. It passes
// the warning on to every rank as SIGUSR1; the run checkpoints and exits with `interrupted_exit`,
// and the script requeues the job, which goes on from the checkpoints. When its requeues are used
// up it ends cleanly and says so: resubmitting the script goes on the same way.
#include <string>
#include <vector>

namespace cluster {

struct SlurmJob {
  std::string name;  // job name
  int nodes = 1;
  int ntasks_per_node = 2;  // MPI ranks per node; all train, rank 0 also schedules
  int gpus_per_node = 0;
  int cpus_per_task = 1;
  std::string time;  // SLURM time limit (e.g. 02:00:00, 1-00:00:00); "" for the partition's
  std::string partition, account;
  int warn_s = 300;       // the warning signal comes this long before the time limit
  int max_requeues = 10;  // the script requeues itself at most this often (SLURM_RESTART_COUNT)
  // A job array of this many elements (0: one job). Each element is an allocation of its own
  // running the same sweep: runs on one database share its trials (results/leases.h).
  int array = 0;
  std::string workdir;  // absolute; the job runs there
  std::string output;   // log file; %j is the job id (%A and %a: the array's and the element)
  std::vector<std::string> command;  // the runner and its arguments, run under srun
  int interrupted_exit = 3;          // the runner's exit code for "stopped, checkpoints written"
};

// Seconds of a SLURM time limit: MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS. Throws
// std::invalid_argument for anything else.
long time_limit_seconds(const std::string& limit);

// The batch script for the job.
std::string batch_script(const SlurmJob& job);

// Runs `sbatch --parsable SCRIPT` and returns the job id. Throws std::runtime_error with sbatch's
// own message when it fails.
std::string submit_batch(const std::string& script_path);

// `value` quoted for a POSIX shell.
std::string shell_quote(const std::string& value);

}  // namespace cluster
