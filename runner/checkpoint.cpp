#include "runner/checkpoint.h"

#include <zlib.h>

#include <algorithm>
#include <stdexcept>

#include "runner/archive.h"

namespace runner {
namespace {

constexpr char kMagic[8] = {'R', 'U', 'N', 'N', 'E', 'R', 'C', 'K'};
constexpr std::uint32_t kVersion = 1;
constexpr std::size_t kHeader = sizeof kMagic + 2 * sizeof(std::uint32_t);

std::uint32_t crc_of(const char* data, std::size_t n) {
  uLong crc = crc32(0L, Z_NULL, 0);
  // zlib takes at most 4 GiB per call.
  for (std::size_t at = 0; at < n;) {
    const auto chunk = static_cast<uInt>(std::min<std::size_t>(n - at, 1u << 30));
    crc = crc32(crc, reinterpret_cast<const Bytef*>(data + at), chunk);
    at += chunk;
  }
  return static_cast<std::uint32_t>(crc);
}

void put_u32(std::string& out, std::uint32_t v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

std::uint32_t get_u32(const std::string& in, std::size_t at) {
  std::uint32_t v;
  in.copy(reinterpret_cast<char*>(&v), sizeof v, at);
  return v;
}

}  // namespace

template <class A>
void serialize(A& ar, Checkpoint& c, unsigned) {
  ar& c.trial_id& c.stage& c.stage_epoch& c.series_epoch& c.next_sample& c.loss_sum;
  ar& c.train_seconds& c.batch_order& c.cpu_rng& c.device_rng& c.parameters;
  ar& c.adam_steps& c.adam_m& c.adam_v;
}

std::string encode_checkpoint(const Checkpoint& c) {
  const std::string body = pack(c);
  std::string out(kMagic, sizeof kMagic);
  put_u32(out, kVersion);
  put_u32(out, crc_of(body.data(), body.size()));
  return out + body;
}

Checkpoint decode_checkpoint(const std::string& bytes, const std::string& where) {
  if (bytes.size() < kHeader || bytes.compare(0, sizeof kMagic, kMagic, sizeof kMagic) != 0)
    throw std::runtime_error(where + ": not a runner checkpoint");
  if (const auto v = get_u32(bytes, sizeof kMagic); v != kVersion)
    throw std::runtime_error(where + ": checkpoint format " + std::to_string(v) +
                             ", this runner reads " + std::to_string(kVersion));
  if (get_u32(bytes, sizeof kMagic + 4) != crc_of(bytes.data() + kHeader, bytes.size() - kHeader))
    throw std::runtime_error(where + ": checkpoint damaged (CRC mismatch)");
  try {
    return unpack<Checkpoint>(bytes.substr(kHeader));
  } catch (const std::exception& e) {
    throw std::runtime_error(where + ": checkpoint unreadable: " + e.what());
  }
}

ResumePoint resume_point_of(const Checkpoint& c) {
  return {c.stage, c.series_epoch, c.next_sample, c.adam_steps};
}

}  // namespace runner
