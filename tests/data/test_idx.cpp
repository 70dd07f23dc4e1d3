#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdio>
#include <fstream>
#include <numeric>
#include <set>

#include "data/datasets.h"
#include "data/idx.h"

namespace {

std::string temp_dir() {
  char tmpl[] = "/tmp/runner-idx-XXXXXX";
  return mkdtemp(tmpl);
}

void write_bytes(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

std::vector<std::uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void write_gzip(const std::string& path, const std::vector<std::uint8_t>& bytes, std::size_t keep) {
  gzFile f = gzopen(path.c_str(), "wb");
  gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(f);
  if (keep > 0) {  // cut the compressed file short
    auto all = read_bytes(path);
    all.resize(keep);
    write_bytes(path, all);
  }
}

std::string error_of(const std::string& path) {
  try {
    data::read_idx(path);
  } catch (const data::DataError& e) {
    return e.what();
  }
  return "";
}

data::IdxArray sample_array() {
  data::IdxArray a;
  a.dims = {3, 2, 2};
  a.values.resize(12);
  std::iota(a.values.begin(), a.values.end(), 7);
  return a;
}

}  // namespace

TEST(Idx, RoundTripsPlainAndGzip) {
  auto dir = temp_dir();
  auto a = sample_array();
  data::write_idx(dir + "/a-idx3-ubyte", a);
  auto bytes = read_bytes(dir + "/a-idx3-ubyte");
  ASSERT_EQ(bytes.size(), 4 + 12 + 12u);
  EXPECT_EQ(bytes[2], 0x08);
  EXPECT_EQ(bytes[3], 3);
  EXPECT_EQ(bytes[7], 3);  // big-endian first dimension
  auto b = data::read_idx(dir + "/a-idx3-ubyte");
  EXPECT_EQ(b.dims, a.dims);
  EXPECT_EQ(b.values, a.values);
  write_gzip(dir + "/a.gz", bytes, 0);
  auto c = data::read_idx(dir + "/a.gz");
  EXPECT_EQ(c.dims, a.dims);
  EXPECT_EQ(c.values, a.values);
}

TEST(Idx, CorruptFilesAreClearErrors) {
  auto dir = temp_dir();
  data::write_idx(dir + "/good", sample_array());
  auto good = read_bytes(dir + "/good");

  auto truncated = good;
  truncated.resize(good.size() - 5);
  write_bytes(dir + "/truncated", truncated);
  EXPECT_NE(error_of(dir + "/truncated").find("truncated"), std::string::npos)
      << error_of(dir + "/truncated");

  auto header_only = good;
  header_only.resize(9);
  write_bytes(dir + "/short-header", header_only);
  EXPECT_NE(error_of(dir + "/short-header").find("truncated IDX header"), std::string::npos);

  auto magic = good;
  magic[0] = 0x1f;
  write_bytes(dir + "/magic", magic);
  EXPECT_NE(error_of(dir + "/magic").find("not an IDX file"), std::string::npos);

  auto floats = good;
  floats[2] = 0x0D;
  write_bytes(dir + "/floats", floats);
  EXPECT_NE(error_of(dir + "/floats").find("0x0D"), std::string::npos);

  auto trailing = good;
  trailing.push_back(1);
  write_bytes(dir + "/trailing", trailing);
  EXPECT_NE(error_of(dir + "/trailing").find("past the end"), std::string::npos);

  write_bytes(dir + "/empty", {});
  EXPECT_NE(error_of(dir + "/empty").find("too short"), std::string::npos);

  auto huge = good;
  huge[4] = huge[5] = huge[6] = huge[7] = 0xff;
  huge[8] = huge[9] = huge[10] = huge[11] = 0xff;
  write_bytes(dir + "/huge", huge);
  EXPECT_NE(error_of(dir + "/huge").find("implausibly large"), std::string::npos);

  EXPECT_NE(error_of(dir + "/missing").find("cannot open"), std::string::npos);

  // A big gzip file cut in half: an error, never a short read passed off as data.
  data::IdxArray big;
  big.dims = {200, 28, 28};
  big.values.resize(200 * 28 * 28);
  for (std::size_t i = 0; i < big.values.size(); ++i)
    big.values[i] = static_cast<std::uint8_t>((i * 2654435761u) >> 13);
  data::write_idx(dir + "/big", big);
  auto big_bytes = read_bytes(dir + "/big");
  write_gzip(dir + "/big.gz", big_bytes, 0);
  auto gz_size = read_bytes(dir + "/big.gz").size();
  write_gzip(dir + "/cut.gz", big_bytes, gz_size / 2);
  EXPECT_FALSE(error_of(dir + "/cut.gz").empty());
}

TEST(Datasets, ResolveNamesWhatIsMissing) {
  auto dir = temp_dir();
  try {
    data::resolve_dataset("nowhere", dir);
    FAIL();
  } catch (const data::DataError& e) {
    EXPECT_NE(std::string(e.what()).find(dir + "/nowhere"), std::string::npos) << e.what();
  }
  try {
    data::resolve_dataset(dir, "/");
    FAIL();
  } catch (const data::DataError& e) {
    EXPECT_NE(std::string(e.what()).find("train-images-idx3-ubyte"), std::string::npos) << e.what();
  }
}

TEST(Datasets, MismatchedImagesAndLabelsAreRejected) {
  auto dir = temp_dir();
  data::write_idx(dir + "/train-images-idx3-ubyte", sample_array());
  data::write_idx(dir + "/train-labels-idx1-ubyte", {{2}, {0, 1}});
  data::write_idx(dir + "/t10k-images-idx3-ubyte", sample_array());
  data::write_idx(dir + "/t10k-labels-idx1-ubyte", {{3}, {0, 1, 2}});
  EXPECT_EQ(data::resolve_dataset(dir, "/"), dir);
  try {
    data::load_dataset(dir);
    FAIL();
  } catch (const data::DataError& e) {
    EXPECT_NE(std::string(e.what()).find("3 images but"), std::string::npos) << e.what();
  }
}

TEST(Datasets, EmbeddedMnistIsTheStratifiedSplitOfTenThousandDigits) {
  auto d = data::load_dataset(data::resolve_dataset("mnist", "."));
  EXPECT_EQ(d.train.n, 8000);
  EXPECT_EQ(d.test.n, 2000);
  EXPECT_EQ(d.train.rows, 28);
  EXPECT_EQ(d.num_classes, 10);
  std::vector<int> train_count(10), test_count(10);
  for (auto l : d.train.labels) ++train_count[l];
  for (auto l : d.test.labels) ++test_count[l];
  // The npm package holds 1001 zeros, 1127 ones, ..., 978 nines; each class splits 80/20.
  const std::vector<int> per_class = {1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978};
  for (int k = 0; k < 10; ++k) {
    EXPECT_EQ(train_count[k] + test_count[k], per_class[k]);
    EXPECT_NEAR(test_count[k], per_class[k] / 5.0, 1.0);
  }
  // Classes are interleaved, so the first 500 training samples hold every digit.
  std::set<int> first(d.train.labels.begin(), d.train.labels.begin() + 500);
  EXPECT_EQ(first.size(), 10u);
  auto sub = data::take_first(d.train, 100);
  EXPECT_EQ(sub.n, 100);
  EXPECT_EQ(sub.images.size(), 100u * 784);
  EXPECT_TRUE(std::equal(sub.images.begin(), sub.images.end(), d.train.images.begin()));
}

TEST(Datasets, FashionMnistFromDebianReadsThroughGzip) {
  auto d = data::load_dataset(data::resolve_dataset("fashion-mnist", "."));
  EXPECT_EQ(d.train.n, 60000);
  EXPECT_EQ(d.test.n, 10000);
  EXPECT_EQ(d.num_classes, 10);
}
