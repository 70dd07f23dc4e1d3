#pragma once
// What `runner status` and `runner query` print of a database; everything else in results/ only
// reads and writes it.
#include <ostream>
#include <string>

#include "results/store.h"

namespace results {

// Per sweep: how many trials are pending, running, interrupted, completed and failed, and each
// running or interrupted trial with the epoch its series has reached. Read-only.
void print_status(const std::string& db_path, std::ostream& out);

// Those runs, a line each: live ones, and lost ones that still hold trials.
void print_runs(Database& db, const std::string& sweep, std::ostream& out);

// A sweep's search ([sweep.search]), if it has one: sampler, budget, objectives, and its best
// trial or (several objectives) its Pareto front.
void print_search(Database& db, const std::string& sweep, std::ostream& out);

// Runs one SQL statement on a read-only connection and prints the rows as CSV with a header.
void query_csv(const std::string& db_path, const std::string& sql, std::ostream& out);

}  // namespace results
