#pragma once
// The files a trial leaves beside the database: PNG pictures (written with
// util::write_file_atomically), in folders named after the database.
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

}  // namespace results
