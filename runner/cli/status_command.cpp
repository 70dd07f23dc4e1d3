// `runner status` and `runner query`: what a database holds, read only, while a sweep may run.
#include <iostream>

#include "results/console.h"
#include "runner/cli/commands.h"
#include "util/errors.h"

namespace runner {

int cmd_status(Args& a) {
  results::print_status(a.db, std::cout);
  return util::kExitOk;
}

int cmd_query(Args& a) {
  results::query_csv(a.db, a.positional[0], std::cout);
  return util::kExitOk;
}

}  // namespace runner
