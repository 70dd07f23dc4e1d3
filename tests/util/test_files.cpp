#include <gtest/gtest.h>
#include <stdlib.h>

#include <exception>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "util/files.h"

TEST(Files, WrittenAtomicallyIntoNewFolders) {
  char tmpl[] = "/tmp/runner-art-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  const std::string path = dir + "/a/b/c.png";
  util::write_file_atomically(path, "hello");
  std::ifstream in(path);
  std::string text;
  in >> text;
  EXPECT_EQ(text, "hello");
  std::size_t entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir + "/a/b")) entries += e.exists();
  EXPECT_EQ(entries, 1u) << "no temporary file left beside it";
}

// Two writers of one path at once (two runs saving one trial's checkpoint): neither fails, and
// the file is one of theirs, whole.
TEST(Files, ConcurrentWritersOfOnePathLeaveOneWholeFile) {
  char tmpl[] = "/tmp/runner-files-XXXXXX";
  const std::string path = std::string(mkdtemp(tmpl)) + "/c.ckpt";
  const std::string a(1 << 16, 'a'), b(1 << 17, 'b');
  auto write = [&](const std::string& bytes) {
    for (int i = 0; i < 100; ++i) util::write_file_atomically(path, bytes);
  };
  std::exception_ptr failed;
  std::thread other([&] {
    try {
      write(b);
    } catch (...) {
      failed = std::current_exception();
    }
  });
  EXPECT_NO_THROW(write(a));
  other.join();
  EXPECT_FALSE(failed) << "the other writer failed";
  const std::string text = util::read_file(path);
  EXPECT_TRUE(text == a || text == b) << text.size() << " bytes";
}

TEST(Files, ReplacesAWholeFileAndReadsItBack) {
  char tmpl[] = "/tmp/runner-files-XXXXXX";
  const std::string path = std::string(mkdtemp(tmpl)) + "/f";
  util::write_file_atomically(path, std::string("one\0two", 7));
  util::write_file_atomically(path, "three");
  EXPECT_EQ(util::read_file(path), "three");
  EXPECT_TRUE(util::file_exists(path));
  util::remove_file(path);
  EXPECT_FALSE(util::file_exists(path));
  EXPECT_NO_THROW(util::remove_file(path)) << "a file already gone is fine";
}

TEST(Files, FailuresNameThePath) {
  try {
    util::rename_file("/nonexistent-runner/a", "/nonexistent-runner/b");
    FAIL() << "expected a failed rename";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent-runner/a"), std::string::npos) << e.what();
  }
  EXPECT_THROW(util::read_file("/nonexistent-runner/x"), std::runtime_error);
  EXPECT_THROW(util::write_file_atomically("/proc/runner-cannot/x", "y"), std::runtime_error);
}
