#pragma once
// The IDX format of MNIST, Fashion-MNIST and KMNIST: a big-endian header (two zero bytes, an
// element type, the number of dimensions, one 32-bit size per dimension) followed by the data.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace data {

// A dataset file that is missing, truncated or corrupt.
class DataError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct IdxArray {
  std::vector<std::uint32_t> dims;
  std::vector<std::uint8_t> values;  // unsigned bytes, row-major
};

// Reads a plain or gzip-compressed IDX file of unsigned bytes; throws DataError.
IdxArray read_idx(const std::string& path);
// Parses IDX bytes already in memory; `name` is used in messages.
IdxArray parse_idx(const std::vector<std::uint8_t>& bytes, const std::string& name);
// Writes a plain IDX file of unsigned bytes, atomically (write then rename).
void write_idx(const std::string& path, const IdxArray& array);

}  // namespace data
