#include "core/atomic_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "core/error.h"

namespace s2r {

void WriteFileAtomic(const std::string& path, std::string_view bytes, const std::string& what) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::string tmp = (dir / ("." + target.filename().string() + ".tmpXXXXXX")).string();
  auto error = [&](const std::string& step, int err) {
    return IoError((what.empty() ? "cannot write '" + path + "'" : what) + ": " + step + ": " +
                   std::strerror(err));
  };
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0) throw error("cannot create a temporary file in '" + dir.string() + "'", errno);
  auto fail = [&](const std::string& step) {
    const int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    throw error(step, err);
  };
  struct stat st {};
  const mode_t mode = ::stat(path.c_str(), &st) == 0 ? (st.st_mode & 07777) : 0644;
  if (::fchmod(fd, mode) != 0) fail("fchmod");
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("write");
    if (n == 0) {
      errno = EIO;
      fail("write");
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) fail("fsync");
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw error("close", err);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw error("rename", err);
  }
}

}  // namespace s2r
