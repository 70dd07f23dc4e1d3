#pragma once
// The files kept beside the database, all named after it here and nowhere else: checkpoints,
// SLURM batch scripts and job logs (a trial's pictures are PNGs inside the database; older
// runners kept them as files, whose paths the store holds relative to the database's folder).
#include <cstdint>
#include <string>
#include <vector>

namespace results {

// `pixels` holds height rows of width * channels bytes (channels 1: grey, 3: RGB).
std::string encode_png(int width, int height, int channels,
                       const std::vector<std::uint8_t>& pixels);

// The folder of the database, with its slash ("runs/" for "runs/q.db", "" for "q.db"): artifact
// paths in the store are relative to it.
std::string database_folder(const std::string& db_path);

// A path beside the database, named after it: ("runs/q.db", ".artifacts/") -> "runs/q.artifacts/".
std::string beside_database(const std::string& db_path, const std::string& suffix);

// For "runs/q.db": runs/q.checkpoints/SWEEP/ (the checkpoints of a sweep's trials in flight),
// runs/q.sbatch (`runner slurm`'s script) and its job logs, runs/q-%j.out, or runs/q-%A_%a.out
// for a job array.
std::string checkpoints_folder(const std::string& db_path, const std::string& sweep);
std::string batch_script_path(const std::string& db_path);
std::string job_log_path(const std::string& db_path, bool job_array);

}  // namespace results
