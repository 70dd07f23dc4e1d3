#include "results/artifacts.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
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
  uLongf size = compressBound(raw.size());
  std::string packed(size, '\0');
  if (compress2(reinterpret_cast<Bytef*>(packed.data()), &size,
                reinterpret_cast<const Bytef*>(raw.data()), raw.size(), Z_BEST_COMPRESSION) != Z_OK)
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

std::string beside_database(const std::string& db_path, const std::string& suffix) {
  const auto slash = db_path.rfind('/');
  const std::string dir = slash == std::string::npos ? "" : db_path.substr(0, slash + 1);
  std::string stem = db_path.substr(dir.size());
  if (auto dot = stem.rfind('.'); dot != std::string::npos && dot > 0) stem.resize(dot);
  return dir + stem + suffix;
}

void make_parent_dirs(const std::string& path) {
  for (std::size_t at = path.find('/', 1); at != std::string::npos; at = path.find('/', at + 1)) {
    const std::string dir = path.substr(0, at);
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
      throw std::runtime_error(dir + ": cannot create directory: " + std::strerror(errno));
  }
}

void write_file_atomically(const std::string& path, const std::string& bytes) {
  make_parent_dirs(path);
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error(tmp + ": cannot write: " + std::strerror(errno));
  bool ok = true;
  for (std::size_t done = 0; ok && done < bytes.size();) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<std::size_t>(n);
  }
  const int write_errno = errno;
  // fsync before rename: after a node crash the name must point at the whole file, never at an
  // empty one (the rename can reach the disk before the data otherwise).
  ok = ok && ::fsync(fd) == 0;
  ok = (::close(fd) == 0) && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(ok ? errno : write_errno);
    std::remove(tmp.c_str());
    throw std::runtime_error(path + ": write failed: " + why);
  }
  // And the folder, so the rename itself is durable.
  const auto slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash + 1);
  if (const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

}  // namespace results
