#include "results/artifacts.h"

#include <zlib.h>

#include <stdexcept>

namespace results {
namespace {

void put32(std::string& out, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<char>((v >> s) & 0xff));
}

void chunk(std::string& out, const char* type, const std::string& data) {
  put32(out, static_cast<std::uint32_t>(data.size()));
  std::string body = std::string(type, 4) + data;
  out += body;
  put32(out, static_cast<std::uint32_t>(
                 crc32(0, reinterpret_cast<const Bytef*>(body.data()), body.size())));
}

}  // namespace

std::string encode_png(int width, int height, int channels,
                       const std::vector<std::uint8_t>& pixels) {
  if (channels != 1 && channels != 3) throw std::invalid_argument("PNG: 1 or 3 channels");
  const std::size_t row = static_cast<std::size_t>(width) * channels;
  if (pixels.size() != row * height)
    throw std::invalid_argument("PNG: pixel count does not match the size");
  std::string raw;  // each row starts with filter type 0 (none)
  raw.reserve((row + 1) * height);
  for (int y = 0; y < height; ++y) {
    raw.push_back(0);
    raw.append(reinterpret_cast<const char*>(&pixels[y * row]), row);
  }
  // zlib's fastest level: half the time of its default on the pictures of a trial, for 8% more
  // bytes (bench/trial_cost.sh's sweep).
  uLongf size = compressBound(raw.size());
  std::string packed(size, '\0');
  if (compress2(reinterpret_cast<Bytef*>(packed.data()), &size,
                reinterpret_cast<const Bytef*>(raw.data()), raw.size(), Z_BEST_SPEED) != Z_OK)
    throw std::runtime_error("PNG: zlib compression failed");
  packed.resize(size);
  std::string out = "\x89PNG\r\n\x1a\n";
  std::string header;
  put32(header, static_cast<std::uint32_t>(width));
  put32(header, static_cast<std::uint32_t>(height));
  header +=
      std::string{8, static_cast<char>(channels == 1 ? 0 : 2), 0, 0, 0};  // depth, colour, methods
  chunk(out, "IHDR", header);
  chunk(out, "IDAT", packed);
  chunk(out, "IEND", "");
  return out;
}

std::string database_folder(const std::string& db_path) {
  const auto slash = db_path.rfind('/');
  return slash == std::string::npos ? "" : db_path.substr(0, slash + 1);
}

std::string beside_database(const std::string& db_path, const std::string& suffix) {
  const std::string dir = database_folder(db_path);
  std::string stem = db_path.substr(dir.size());
  if (auto dot = stem.rfind('.'); dot != std::string::npos && dot > 0) stem.resize(dot);
  return dir + stem + suffix;
}

std::string checkpoints_folder(const std::string& db_path, const std::string& sweep) {
  return beside_database(db_path, ".checkpoints/" + sweep + "/");
}

std::string batch_script_path(const std::string& db_path) {
  return beside_database(db_path, ".sbatch");
}

std::string job_log_path(const std::string& db_path, bool job_array) {
  // %A the array's job id, %a the element; %j a plain job's id.
  return beside_database(db_path, job_array ? "-%A_%a.out" : "-%j.out");
}

}  // namespace results
