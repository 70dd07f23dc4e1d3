#include "util/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "util/errors.h"

namespace util {
namespace {

std::string folder_of(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash + 1);
}

// Writes all of `bytes` to `fd`, retrying short writes and EINTR.
bool write_all(int fd, const std::string& bytes) {
  for (std::size_t done = 0; done < bytes.size();) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

void write_file_atomically(const std::string& path, const std::string& bytes) {
  make_parent_dirs(path);
  // A name of this process and call: two runs on one database may write the same trial's
  // checkpoint at once (one suspended past its lease wakes with a save queued while the run that
  // took the trial over writes its own); with one shared name they would truncate each other's
  // file and one rename would fail. Each rename is atomic, so the file is one of them, whole.
  static std::atomic<std::uint64_t> calls{0};
  const std::string tmp =
      path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(calls++);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error(tmp + ": cannot write: " + std::strerror(errno));
  bool ok = write_all(fd, bytes);
  // fsync before rename: after a node crash the name must point at the whole file, never at an
  // empty one (the rename can reach the disk before the data otherwise).
  ok = ok && ::fsync(fd) == 0;
  const int saved = errno;
  ok = (::close(fd) == 0) && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(ok ? errno : saved);
    std::remove(tmp.c_str());
    throw std::runtime_error(path + ": write failed: " + why);
  }
  const std::string dir = folder_of(path);
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  check_syscall(dfd, dir + ": cannot open the folder to make a rename durable");
  const int synced = ::fsync(dfd);
  const int sync_errno = errno;
  ::close(dfd);
  // EINVAL: a file system that cannot sync folders (some network ones); the rename still stands.
  if (synced != 0 && sync_errno != EINVAL)
    throw std::runtime_error(dir + ": fsync of the folder failed: " + std::strerror(sync_errno));
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot read");
  std::ostringstream all;
  all << in.rdbuf();
  return all.str();
}

bool file_exists(const std::string& path) {
  return ::access(path.c_str(), R_OK) == 0;
}

void make_parent_dirs(const std::string& path) {
  for (std::size_t at = path.find('/', 1); at != std::string::npos; at = path.find('/', at + 1)) {
    const std::string dir = path.substr(0, at);
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
      throw std::runtime_error(dir + ": cannot create directory: " + std::strerror(errno));
  }
}

void rename_file(const std::string& from, const std::string& to) {
  if (std::rename(from.c_str(), to.c_str()) != 0)
    throw std::runtime_error("cannot rename " + from + " to " + to + ": " + std::strerror(errno));
}

void remove_file(const std::string& path) {
  if (std::remove(path.c_str()) != 0 && errno != ENOENT)
    throw std::runtime_error(path + ": cannot remove: " + std::strerror(errno));
}

}  // namespace util
