#pragma once
// The final metrics a trial may record (final_metrics.name): what [sweep.search] may optimise or
// constrain. Which ones a trial has depends on its model and corruption (tests/runner/train checks
// that every metric a trial records is known here).
#include <string>
#include <vector>

namespace sweeps {

bool is_final_metric(const std::string& name);
// "recon_mse, probe_accuracy, ...", for messages.
std::string final_metric_list();

}  // namespace sweeps
