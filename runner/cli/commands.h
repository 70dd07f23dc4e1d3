#pragma once
// The subcommands of `runner`, each a function of its parsed arguments, and what they share. The
// table of commands, their help and their options is kCommands in runner/cli.cpp.
#include <map>
#include <memory>
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
  // The sweep file made into a plan, for the commands that need one (Needs::kPlan).
  std::shared_ptr<const Plan> plan;

  // The value of an option, or "" when it was not given.
  std::string value(const std::string& name) const;
  // The value of an option that must be given: a usage error ("--sweep NAME is required").
  std::string required(const std::string& name, const std::string& what) const;
};

// What a command needs before it runs (ninja's `when` column), checked and prepared once in
// run_cli.
enum class Needs {
  kNothing,   // its options only (import-mnist; run, whose rank 0 plans once MPI is up)
  kPlan,      // the sweep file as a validated plan (Args::plan), before anything is written
  kDatabase,  // --db: a database it reads; SQLite's errors are input errors naming it
};
// --db, or runs/NAME.db.
std::string db_path(const Args& a, const Plan& plan);
// Groups the ranks on `hosts` (one per world rank) for the sweep, warning of groups that span
// nodes and of idle ranks; an input error if not one group can be made.
cluster::Layout layout_for(const Plan& plan, const std::vector<std::string>& hosts,
                           bool scheduler_trains);

int cmd_plan(Args& a);
int cmd_run(Args& a);
int cmd_status(Args& a);
int cmd_query(Args& a);
int cmd_slurm(Args& a);
int cmd_export(Args& a);
int export_replay(Args& a);  // runner export --replay (replay_export.cpp)
int cmd_report(Args& a);
int cmd_import(Args& a);
int cmd_doctor(Args& a);

}  // namespace runner
