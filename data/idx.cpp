#include "data/idx.h"

#include <zlib.h>

#include <cstdio>
#include <memory>

#include "util/files.h"

namespace data {
namespace {

constexpr std::uint8_t kUnsignedByte = 0x08;
constexpr std::uint64_t kMaxBytes = std::uint64_t{1} << 34;  // 16 GiB: anything bigger is corrupt

std::uint32_t be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         p[3];
}

std::vector<std::uint8_t> read_all(const std::string& path) {
  // gzread reads plain files unchanged, so one path serves .gz and uncompressed files.
  std::unique_ptr<gzFile_s, int (*)(gzFile)> f(gzopen(path.c_str(), "rb"), gzclose);
  if (!f) throw DataError(path + ": cannot open");
  gzbuffer(f.get(), 1 << 17);
  std::vector<std::uint8_t> out;
  std::uint8_t buf[1 << 16];
  while (true) {
    int n = gzread(f.get(), buf, sizeof buf);
    if (n < 0) {
      int err = 0;
      const char* msg = gzerror(f.get(), &err);
      throw DataError(path + ": corrupt or truncated compressed data (" + msg + ")");
    }
    if (n == 0) break;
    out.insert(out.end(), buf, buf + n);
    if (out.size() > kMaxBytes) throw DataError(path + ": larger than any IDX dataset we accept");
  }
  // A gzip stream cut short reads as a clean end in some zlib versions; gzerror tells.
  int err = 0;
  gzerror(f.get(), &err);
  if (err != Z_OK && err != Z_BUF_ERROR) throw DataError(path + ": corrupt compressed data");
  return out;
}

}  // namespace

IdxArray parse_idx(const std::vector<std::uint8_t>& bytes, const std::string& name) {
  if (bytes.size() < 4)
    throw DataError(name + ": too short for an IDX header (" + std::to_string(bytes.size()) +
                    " bytes)");
  if (bytes[0] != 0 || bytes[1] != 0)
    throw DataError(name + ": not an IDX file (magic number must start with two zero bytes)");
  if (bytes[2] != kUnsignedByte) {
    char type[8];
    std::snprintf(type, sizeof type, "0x%02X", bytes[2]);
    throw DataError(name + ": IDX element type " + type +
                    " is not supported (expected 0x08, unsigned byte)");
  }
  const std::size_t ndim = bytes[3];
  if (ndim == 0 || ndim > 4)
    throw DataError(name + ": IDX with " + std::to_string(ndim) + " dimensions is not supported");
  const std::size_t header = 4 + 4 * ndim;
  if (bytes.size() < header) throw DataError(name + ": truncated IDX header");
  IdxArray a;
  std::uint64_t count = 1;
  for (std::size_t i = 0; i < ndim; ++i) {
    a.dims.push_back(be32(&bytes[4 + 4 * i]));
    count *= a.dims.back();
    if (count > kMaxBytes) throw DataError(name + ": IDX dimensions are implausibly large");
  }
  const std::uint64_t have = bytes.size() - header;
  if (have < count)
    throw DataError(name + ": truncated: the header promises " + std::to_string(count) +
                    " values, the file holds " + std::to_string(have));
  if (have > count)
    throw DataError(name + ": " + std::to_string(have - count) +
                    " bytes past the end of the data the header describes");
  a.values.assign(bytes.begin() + static_cast<std::ptrdiff_t>(header), bytes.end());
  return a;
}

IdxArray read_idx(const std::string& path) {
  return parse_idx(read_all(path), path);
}

void write_idx(const std::string& path, const IdxArray& a) {
  std::vector<std::uint8_t> header = {0, 0, kUnsignedByte,
                                      static_cast<std::uint8_t>(a.dims.size())};
  for (auto d : a.dims)
    for (int s = 24; s >= 0; s -= 8) header.push_back(static_cast<std::uint8_t>(d >> s));
  std::string bytes(header.begin(), header.end());
  bytes.append(a.values.begin(), a.values.end());
  try {
    util::write_file_atomically(path, bytes);
  } catch (const std::runtime_error& e) {
    throw DataError(e.what());
  }
}

}  // namespace data
