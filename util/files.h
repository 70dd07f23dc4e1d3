#pragma once
// Every file the runner writes goes through here (leveldb's Env is the model): whole files only,
// written atomically and durably, so a crash at any moment leaves the old file or the new one.
#include <string>

namespace util {

// Writes bytes to `path` atomically and durably: a temporary file, fsync, rename, then fsync of
// the folder so that the rename itself survives a node crash. Creates missing folders. Throws
// std::runtime_error naming the path and the reason.
void write_file_atomically(const std::string& path, const std::string& bytes);

// The whole file; throws std::runtime_error naming the path when it cannot be read.
std::string read_file(const std::string& path);
// Whether `path` exists and can be read.
bool file_exists(const std::string& path);

// Creates the folders above `path` that do not exist yet.
void make_parent_dirs(const std::string& path);

// Renames a file; throws std::runtime_error naming both paths when it fails.
void rename_file(const std::string& from, const std::string& to);
// Removes a file; a file that is already gone is fine, any other failure throws.
void remove_file(const std::string& path);

}  // namespace util
