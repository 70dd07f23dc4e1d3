#pragma once
// The final metrics a run shows for each trial, with their digits: in the line of each trial that
// ends (runner/record/store_sink.cpp) and in the closing table (runner/record/summary.cpp).
#include <array>

namespace runner {

struct HeadlineMetric {
  const char* name;    // in final_metrics
  const char* column;  // its heading in the closing table
  int digits;          // after the point
};

inline constexpr std::array<HeadlineMetric, 3> kHeadline = {{
    {"recon_mse", "recon_mse", 5},
    {"probe_accuracy", "probe_acc", 4},
    {"seconds", "seconds", 1},
}};

}  // namespace runner
