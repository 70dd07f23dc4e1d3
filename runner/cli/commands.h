#pragma once
// The subcommands of `runner`, each a function of its parsed arguments, and what they share. The
// table of commands, their help and their options is kCommands in runner/cli.cpp.
#include <map>
#include <string>
#include <vector>

#include "cluster/group.h"
#include "runner/plan.h"

namespace runner {

struct Args {
  std::vector<std::string> positional;
  std::vector<std::string> sets;  // --set key=value, in order
  std::string db, from, out;
  std::map<std::string, std::string> values;  // other options that take a value
  bool retry_failed = false, keep_checkpoints = false, submit = false, help = false;
  char** argv = nullptr;  // for MPI_Init
  int argc = 0;
};

// Throws a usage error unless there are exactly `n` positional arguments.
void need_positional(const Args& a, std::size_t n, const char* what);
// --db, or runs/NAME.db.
std::string db_path(const Args& a, const Plan& plan);
// Groups the ranks on `hosts` (one per world rank) for the sweep, warning of groups that span
// nodes and of idle ranks; an input error if not one group can be made.
cluster::Layout layout_for(const Plan& plan, const std::vector<std::string>& hosts,
                           bool scheduler_trains);

int cmd_run(Args& a);
int cmd_slurm(Args& a);
int cmd_export(Args& a);
int cmd_report(Args& a);

}  // namespace runner
