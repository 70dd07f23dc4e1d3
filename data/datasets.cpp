#include "data/datasets.h"

#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

#include "util/files.h"
#include "util/shuffle.h"

namespace data {
namespace {

constexpr const char* kFashionDir = "/usr/share/datasets/fashion-mnist";
constexpr int kImportTestShare = 5;  // one sample in five goes to the test split
constexpr std::uint64_t kImportSeed = 20170831;

bool is_file(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

bool is_dir(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// "train-images-idx3-ubyte" as shipped by LeCun and Zalando, or with a dot as on Kaggle; .gz or
// not.
std::string find_file(const std::string& dir, const std::string& split, const std::string& what) {
  const std::string dim = what == "images" ? "idx3" : "idx1";
  for (const char* sep : {"-", "."})
    for (const char* ext : {"", ".gz"}) {
      std::string p = dir + "/" + split + "-" + what + sep + dim + "-ubyte" + ext;
      if (is_file(p)) return p;
    }
  return "";
}

Split load_split(const std::string& dir, const std::string& split) {
  std::string img_path = find_file(dir, split, "images"),
              lbl_path = find_file(dir, split, "labels");
  IdxArray img = read_idx(img_path), lbl = read_idx(lbl_path);
  if (img.dims.size() != 3) throw DataError(img_path + ": images must have 3 dimensions");
  if (lbl.dims.size() != 1) throw DataError(lbl_path + ": labels must have 1 dimension");
  if (img.dims[0] != lbl.dims[0])
    throw DataError(img_path + ": " + std::to_string(img.dims[0]) + " images but " + lbl_path +
                    " has " + std::to_string(lbl.dims[0]) + " labels");
  if (img.dims[0] == 0) throw DataError(img_path + ": no images");
  Split s;
  s.n = img.dims[0];
  s.rows = img.dims[1];
  s.cols = img.dims[2];
  s.images = std::move(img.values);
  s.labels = std::move(lbl.values);
  return s;
}

std::vector<std::uint8_t> parse_digit_json(const std::string& path) {
  if (!util::file_exists(path)) throw DataError(path + ": cannot open");
  const std::string text = util::read_file(path);
  auto key = text.find("\"data\"");
  auto open = key == std::string::npos ? key : text.find('[', key);
  if (open == std::string::npos) throw DataError(path + ": expected {\"data\": [...]}");
  std::vector<std::uint8_t> pixels;
  const char* p = text.c_str() + open + 1;
  while (true) {
    while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t' || *p == ',') ++p;
    if (*p == ']') break;
    char* end = nullptr;
    double v = std::strtod(p, &end);
    if (end == p || !(v >= 0.0 && v <= 1.0))
      throw DataError(path + ": expected greyscale values in [0, 1] at offset " +
                      std::to_string(p - text.c_str()));
    pixels.push_back(static_cast<std::uint8_t>(std::lround(v * 255.0)));
    p = end;
  }
  if (pixels.empty() || pixels.size() % 784 != 0)
    throw DataError(path + ": " + std::to_string(pixels.size()) +
                    " values is not a whole number of 28x28 images");
  return pixels;
}

void write_split(const std::string& dir, const std::string& split,
                 const std::vector<std::uint8_t>& images, const std::vector<std::uint8_t>& labels) {
  auto n = static_cast<std::uint32_t>(labels.size());
  write_idx(dir + "/" + split + "-images-idx3-ubyte", {{n, 28, 28}, images});
  write_idx(dir + "/" + split + "-labels-idx1-ubyte", {{n}, labels});
}

}  // namespace

std::string data_root() {
  if (const char* env = std::getenv("RUNNER_DATA_DIR"); env && *env) return env;
  return RUNNER_DEFAULT_DATA_DIR;
}

std::string resolve_dataset(const std::string& name, const std::string& base_dir) {
  std::string dir;
  std::string hint;
  if (name == "mnist") {
    dir = data_root() + "/mnist";
    hint = " (run scripts/setup.sh, which imports the embedded MNIST)";
  } else if (name == "fashion-mnist") {
    dir = kFashionDir;
    hint = " (install Debian's dataset-fashion-mnist)";
  } else {
    dir = (name.empty() || name[0] == '/') ? name : base_dir + "/" + name;
  }
  if (!is_dir(dir)) throw DataError("dataset \"" + name + "\": no directory " + dir + hint);
  for (const char* split : {"train", "t10k"})
    for (const char* what : {"images", "labels"})
      if (find_file(dir, split, what).empty())
        throw DataError("dataset \"" + name + "\": " + dir + " has no " + split + "-" + what + "-" +
                        (std::string(what) == "images" ? "idx3" : "idx1") + "-ubyte[.gz]" + hint);
  return dir;
}

Dataset load_dataset(const std::string& dir) {
  Dataset d;
  d.dir = dir;
  d.train = load_split(dir, "train");
  d.test = load_split(dir, "t10k");
  if (d.train.rows != d.test.rows || d.train.cols != d.test.cols)
    throw DataError(dir + ": train and test images differ in size");
  for (const Split* s : {&d.train, &d.test})
    for (auto l : s->labels) d.num_classes = std::max<std::int64_t>(d.num_classes, l + 1);
  return d;
}

Split take_first(const Split& s, std::int64_t limit) {
  if (limit <= 0 || limit >= s.n) return s;
  Split out;
  out.n = limit;
  out.rows = s.rows;
  out.cols = s.cols;
  out.images.assign(s.images.begin(), s.images.begin() + limit * s.rows * s.cols);
  out.labels.assign(s.labels.begin(), s.labels.begin() + limit);
  return out;
}

void import_mnist_json(const std::string& digits_dir, const std::string& out_dir,
                       std::ostream& log) {
  constexpr std::size_t kPixels = 28 * 28;
  struct Sample {
    std::uint8_t label;
    std::size_t offset;  // into `all`
  };
  std::vector<std::uint8_t> all;
  std::vector<Sample> train, test;
  std::mt19937_64 rng(kImportSeed);
  for (int digit = 0; digit < 10; ++digit) {
    auto pixels = parse_digit_json(digits_dir + "/" + std::to_string(digit) + ".json");
    std::vector<Sample> samples;
    for (std::size_t i = 0; i < pixels.size() / kPixels; ++i)
      samples.push_back({static_cast<std::uint8_t>(digit), all.size() + i * kPixels});
    all.insert(all.end(), pixels.begin(), pixels.end());
    util::shuffle(samples, rng);
    std::size_t n_test = (samples.size() + kImportTestShare / 2) / kImportTestShare;
    test.insert(test.end(), samples.begin(), samples.begin() + static_cast<std::ptrdiff_t>(n_test));
    train.insert(train.end(), samples.begin() + static_cast<std::ptrdiff_t>(n_test), samples.end());
  }
  // Interleave the classes so that the first N samples of a split are a fair subset.
  util::shuffle(train, rng);
  util::shuffle(test, rng);
  if (!is_dir(out_dir) && ::mkdir(out_dir.c_str(), 0755) != 0)
    throw DataError(out_dir + ": cannot create");
  for (auto [name, list] : {std::pair{"train", &train}, std::pair{"t10k", &test}}) {
    std::vector<std::uint8_t> images, labels;
    for (const auto& s : *list) {
      images.insert(images.end(), all.begin() + static_cast<std::ptrdiff_t>(s.offset),
                    all.begin() + static_cast<std::ptrdiff_t>(s.offset + kPixels));
      labels.push_back(s.label);
    }
    write_split(out_dir, name, images, labels);
    log << "wrote " << list->size() << " " << name << " images to " << out_dir << "\n";
  }
}

}  // namespace data
