#include <gtest/gtest.h>
#include <zlib.h>

#include <fstream>

#include "results/artifacts.h"

namespace {

std::uint32_t be32(const std::string& s, std::size_t at) {
  return (std::uint32_t(std::uint8_t(s[at])) << 24) |
         (std::uint32_t(std::uint8_t(s[at + 1])) << 16) |
         (std::uint32_t(std::uint8_t(s[at + 2])) << 8) | std::uint8_t(s[at + 3]);
}

}  // namespace

// Decodes what encode_png wrote, chunk by chunk, with zlib: signature, CRCs, header, pixels.
TEST(Png, DecodesBackToThePixels) {
  const int w = 5, h = 3;
  std::vector<std::uint8_t> pixels(w * h);
  for (int i = 0; i < w * h; ++i) pixels[i] = static_cast<std::uint8_t>(i * 17);
  const std::string png = results::encode_png(w, h, 1, pixels);
  ASSERT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  std::size_t at = 8;
  std::string idat;
  std::vector<std::string> types;
  while (at < png.size()) {
    const std::uint32_t len = be32(png, at);
    const std::string type = png.substr(at + 4, 4), data = png.substr(at + 8, len);
    const std::string body = png.substr(at + 4, 4 + len);
    EXPECT_EQ(be32(png, at + 8 + len),
              crc32(0, reinterpret_cast<const Bytef*>(body.data()), body.size()))
        << type;
    if (type == "IHDR") {
      EXPECT_EQ(be32(data, 0), 5u);
      EXPECT_EQ(be32(data, 4), 3u);
      EXPECT_EQ(data[8], 8);  // bit depth
      EXPECT_EQ(data[9], 0);  // greyscale
    }
    if (type == "IDAT") idat += data;
    types.push_back(type);
    at += 12 + len;
  }
  EXPECT_EQ(types, (std::vector<std::string>{"IHDR", "IDAT", "IEND"}));
  std::vector<std::uint8_t> raw((w + 1) * h);
  uLongf size = raw.size();
  ASSERT_EQ(uncompress(raw.data(), &size, reinterpret_cast<const Bytef*>(idat.data()), idat.size()),
            Z_OK);
  ASSERT_EQ(size, raw.size());
  for (int y = 0; y < h; ++y) {
    EXPECT_EQ(raw[y * (w + 1)], 0) << "filter type none";
    for (int x = 0; x < w; ++x) EXPECT_EQ(raw[y * (w + 1) + 1 + x], pixels[y * w + x]);
  }
  EXPECT_THROW(results::encode_png(w, h, 1, std::vector<std::uint8_t>(3)), std::invalid_argument);
}
