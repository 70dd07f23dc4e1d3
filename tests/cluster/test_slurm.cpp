// The SLURM batch script and time limits, without SLURM (tests/cluster/slurm.sh runs a real one).
#include <gtest/gtest.h>

#include <stdexcept>

#include "cluster/slurm.h"

namespace {

struct TimeRow {
  const char* limit;
  long seconds;
};

// SLURM's --time forms (sbatch(1)): minutes, minutes:seconds, hours:minutes:seconds, days-hours,
// days-hours:minutes, days-hours:minutes:seconds.
const TimeRow kTimeRows[] = {
    {"30", 30 * 60},
    {"30:15", 30 * 60 + 15},
    {"02:00:00", 2 * 3600},
    {"1-00:00:00", 86400},
    {"1-2", 86400 + 2 * 3600},
    {"1-2:30", 86400 + 2 * 3600 + 30 * 60},
    {"1-02:30:15", 86400 + 2 * 3600 + 30 * 60 + 15},
};

const char* const kBadTimes[] = {"", "abc", "1:2:3:4", "-5", "1h", "2-", "01:00:00 "};

cluster::SlurmJob job() {
  cluster::SlurmJob j;
  j.name = "runner-sweep";
  j.nodes = 2;
  j.ntasks_per_node = 9;
  j.cpus_per_task = 4;
  j.warn_s = 300;
  j.max_requeues = 10;
  j.workdir = "/home/me/my project";
  j.output = "/scratch/me/sweep-%j.out";
  j.command = {"/opt/runner", "run", "/home/me/my project/sweep.toml", "--db", "/scratch/s.db"};
  return j;
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST(Slurm, TimeLimitsInEverySlurmForm) {
  for (const auto& row : kTimeRows)
    EXPECT_EQ(cluster::time_limit_seconds(row.limit), row.seconds) << row.limit;
  for (const char* bad : kBadTimes)
    EXPECT_THROW(cluster::time_limit_seconds(bad), std::invalid_argument) << "'" << bad << "'";
}

TEST(Slurm, ShellQuoteLeavesPlainWordsAndQuotesTheRest) {
  EXPECT_EQ(cluster::shell_quote("runs/a.db"), "runs/a.db");
  EXPECT_EQ(cluster::shell_quote("my project"), "'my project'");
  EXPECT_EQ(cluster::shell_quote("it's"), "'it'\\''s'");
  EXPECT_EQ(cluster::shell_quote(""), "''");
  EXPECT_EQ(cluster::shell_quote("$HOME"), "'$HOME'");
}

TEST(Slurm, BatchScriptAsksForWhatTheRunNeeds) {
  const std::string s = cluster::batch_script(job());
  EXPECT_EQ(s.rfind("#!/bin/bash\n", 0), 0u);
  for (const char* line :
       {"#SBATCH --job-name=runner-sweep\n", "#SBATCH --nodes=2\n", "#SBATCH --ntasks-per-node=9\n",
        "#SBATCH --cpus-per-task=4\n", "#SBATCH --requeue\n", "#SBATCH --signal=B:USR1@300\n",
        "#SBATCH --open-mode=append\n", "#SBATCH --output=/scratch/me/sweep-%j.out\n",
        "max_requeues=10\n", "cd '/home/me/my project' || exit 1\n"})
    EXPECT_TRUE(has(s, line)) << line;
  EXPECT_TRUE(has(s,
                  "srun --mpi=pmix --kill-on-bad-exit=1 /opt/runner run "
                  "'/home/me/my project/sweep.toml' --db /scratch/s.db &\n"));
  EXPECT_TRUE(has(s, "scontrol requeue \"$SLURM_JOB_ID\""));
  EXPECT_TRUE(has(s, "if [ $rc -eq 3 ] && [ $warned -eq 1 ]"));
  // Left to the partition's defaults when not given.
  for (const char* absent : {"--time", "--partition", "--account", "--gpus-per-node", "--array"})
    EXPECT_FALSE(has(s, std::string("#SBATCH ") + absent)) << absent;
}

TEST(Slurm, BatchScriptCarriesOptionalLimits) {
  auto j = job();
  j.time = "04:00:00";
  j.partition = "gpu";
  j.account = "lab";
  j.gpus_per_node = 4;
  j.array = 3;
  const std::string s = cluster::batch_script(j);
  for (const char* line :
       {"#SBATCH --time=04:00:00\n", "#SBATCH --partition=gpu\n", "#SBATCH --account=lab\n",
        "#SBATCH --gpus-per-node=4\n", "#SBATCH --array=0-2\n"})
    EXPECT_TRUE(has(s, line)) << line;
}
