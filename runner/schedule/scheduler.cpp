#include "runner/schedule/scheduler.h"

#include <algorithm>
#include <iostream>
#include <memory>
#include <thread>

#include "runner/schedule/group_root.h"
#include "runner/schedule/rank0.h"
#include "runner/schedule/single_process.h"

namespace runner {
namespace {

// Rank 0's own group trains on a second thread while the main thread schedules. An error outside
// a trial (MPI failing under it) would leave the scheduler waiting for ever: end the job instead.
// The thread shares what it uses, so that a hung one can be left behind (the job then ends).
std::thread train_beside(cluster::MpiContext& mpi, std::shared_ptr<cluster::Group> group,
                         Executors ex) {
  return std::thread([&mpi, group, ex] {
    try {
      run_group(mpi, *group, ex);
    } catch (const std::exception& e) {
      std::cerr << "error: rank 0's training thread: " << e.what() << std::endl;
      mpi.abort(1);
    }
  });
}

}  // namespace

RunEnd run_trials(cluster::MpiContext& mpi, const cluster::Layout& layout,
                  const std::vector<Assignment>& todo, Sink* sink, const Executor& execute,
                  const SchedulerOptions& options, const ArrayExecutor& execute_array) {
  const Executors ex{execute, execute_array};
  SchedulerOptions opt = options;
  if (!execute_array) opt.fuse = 1;
  auto group = std::make_shared<cluster::Group>(mpi, layout);
  if (mpi.size() == 1) return run_alone(*group, todo, *sink, ex, opt.fuse);
  if (mpi.rank() != 0) {
    if (group->active()) run_group(mpi, *group, ex);
    return {};
  }
  std::thread trainer;
  if (group->active()) trainer = train_beside(mpi, group, ex);
  RunEnd end = schedule_on_rank0(mpi, layout, todo, *sink, opt);
  if (trainer.joinable()) {
    // Every group was told to stop, but a silent one may never hear it.
    if (std::find(end.silent.begin(), end.silent.end(), 0) != end.silent.end())
      trainer.detach();
    else
      trainer.join();
  }
  return end;
}

}  // namespace runner
