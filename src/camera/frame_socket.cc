#include "camera/frame_socket.h"

#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <cmath>

#include "core/error.h"

namespace s2r::camera::internal {

sockaddr_un UnixAddress(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
    throw IoError("frame socket '" + path + "': a Unix socket path must be 1 to " +
                  std::to_string(sizeof(addr.sun_path) - 1) + " bytes long, this one is " +
                  std::to_string(path.size()));
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  return addr;
}

bool SendAll(int fd, const void* data, size_t size, std::string* why) {
  const auto* p = static_cast<const uint8_t*>(data);
  while (size > 0) {
    const ssize_t n = ::send(fd, p, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      *why = (errno == EAGAIN || errno == EWOULDBLOCK) ? "send timed out"
                                                       : std::string("send: ") + std::strerror(errno);
      return false;
    }
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

bool RecvAll(int fd, void* data, size_t size, std::string* why) {
  auto* p = static_cast<uint8_t*>(data);
  while (size > 0) {
    const ssize_t n = ::recv(fd, p, size, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) {
      *why = "connection closed by the peer";
      return false;
    }
    if (n < 0) {
      *why = (errno == EAGAIN || errno == EWOULDBLOCK) ? "no answer in time"
                                                       : std::string("recv: ") + std::strerror(errno);
      return false;
    }
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

void SetTimeouts(int fd, double seconds) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(seconds);
  tv.tv_usec = static_cast<suseconds_t>(std::lround((seconds - static_cast<double>(tv.tv_sec)) * 1e6));
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

}  // namespace s2r::camera::internal
