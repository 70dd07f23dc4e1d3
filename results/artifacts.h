#pragma once
// The files a trial leaves beside the database: PNG pictures, written atomically.
#include <cstdint>
#include <string>
#include <vector>

namespace results {

// `pixels` holds height rows of width * channels bytes (channels 1: grey, 3: RGB).
std::string encode_png(int width, int height, int channels,
                       const std::vector<std::uint8_t>& pixels);

// A path beside the database, named after it: ("runs/q.db", ".artifacts/") -> "runs/q.artifacts/".
std::string beside_database(const std::string& db_path, const std::string& suffix);

// Creates the folders above `path` that do not exist yet.
void make_parent_dirs(const std::string& path);

// Writes bytes to `path` atomically and durably (a temporary file, fsync, then rename); creates
// missing folders. A crash at any point leaves the old file or the new one, whole.
void write_file_atomically(const std::string& path, const std::string& bytes);

}  // namespace results
