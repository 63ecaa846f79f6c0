// VirtualCamera and PlaceObjectVirtual: the client side of the frame protocol in frame_server.h.
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "camera/cv_convert.h"
#include "camera/frame_server.h"
#include "camera/frame_socket.h"

namespace s2r::camera {

namespace {

constexpr double kClientIoTimeoutS = 2;  // a server that does not answer a request in time is "broken"

std::string Seconds(double s) {
  std::ostringstream os;
  os.precision(3);
  os << s << " s";
  return os.str();
}

void SleepSeconds(double s) { std::this_thread::sleep_for(std::chrono::duration<double>(s)); }

}  // namespace

namespace {

// Connects to a scene server, retrying while it is starting, and sets the socket's I/O timeouts to what is
// left of the deadline. Throws CameraError naming `label`.
int ConnectScene(const std::string& socket_path, const std::string& label, double timeout_s,
                 double deadline) {
  const sockaddr_un addr = internal::UnixAddress(socket_path);  // IoError for an impossible path
  int fd = -1;
  std::string why;
  for (;;) {
    fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw CameraError(label + ": socket: " + std::strerror(errno));
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0) break;
    why = std::string("connect: ") + std::strerror(errno);
    ::close(fd);
    fd = -1;
    if (NowSeconds() >= deadline)
      throw CameraError(label + ": no server within " + Seconds(timeout_s) + " (" + why +
                        "); is the virtual robot running?");
    SleepSeconds(0.01);
  }
  internal::SetTimeouts(fd, std::max(0.05, deadline - NowSeconds()));
  return fd;
}

struct FdCloser {
  int fd;
  ~FdCloser() { ::close(fd); }
};

}  // namespace

std::optional<SceneState> QuerySceneVirtual(const std::string& socket_path, double timeout_s) {
  const std::string label = "virtual robot scene at " + socket_path;
  const double deadline = NowSeconds() + std::max(0.0, timeout_s);
  FdCloser closer{ConnectScene(socket_path, label, timeout_s, deadline)};
  uint8_t request[kFrameRequestBytes];
  std::memcpy(request, "S2RQ", 4);
  internal::PutU32(request + 4, kFrameCommandSceneState);
  uint8_t out[kSceneStateBytes];
  std::string why;
  if (!internal::SendAll(closer.fd, request, sizeof(request), &why) ||
      !internal::RecvAll(closer.fd, out, sizeof(out), &why))
    throw CameraError(label + ": no scene state (" + why + "); the server may be an older sim2real");
  if (std::memcmp(out, "S2RS", 4) != 0) throw CameraError(label + ": protocol error in the scene state");
  if (internal::GetU32(out + 4) != 0) return std::nullopt;
  SceneState st;
  st.x = internal::GetF64(out + 8), st.y = internal::GetF64(out + 16), st.z = internal::GetF64(out + 24);
  st.yaw = internal::GetF64(out + 32);
  const uint32_t flags = internal::GetU32(out + 40);
  st.grasped = flags & 1u, st.success = flags & 2u;
  return st;
}

void PlaceObjectVirtual(const std::string& socket_path, double x, double y, double yaw, double timeout_s) {
  if (!std::isfinite(x) || !std::isfinite(y) || !std::isfinite(yaw))
    throw std::invalid_argument("PlaceObjectVirtual: x, y and yaw must be finite");
  const std::string label = "virtual robot scene at " + socket_path;
  const double deadline = NowSeconds() + std::max(0.0, timeout_s);
  FdCloser closer{ConnectScene(socket_path, label, timeout_s, deadline)};
  const int fd = closer.fd;
  std::string why;
  uint8_t request[kPlaceRequestBytes];
  std::memcpy(request, "S2RQ", 4);
  internal::PutU32(request + 4, kFrameCommandPlaceObject);
  internal::PutF64(request + 8, x);
  internal::PutF64(request + 16, y);
  internal::PutF64(request + 24, yaw);
  uint8_t ack[kAckHeaderBytes];
  if (!internal::SendAll(fd, request, sizeof(request), &why))
    throw CameraError(label + ": cannot send the placement (" + why + ")");
  if (!internal::RecvAll(fd, ack, sizeof(ack), &why))
    throw CameraError(label + ": no acknowledgement (" + why +
                      "); the server may not support scene control (an older sim2real?)");
  const uint32_t status = internal::GetU32(ack + 4), n = internal::GetU32(ack + 8);
  if (std::memcmp(ack, "S2RA", 4) != 0 || n > kMaxAckMessageBytes)
    throw CameraError(label + ": protocol error (not a sim2real frame server with scene control)");
  std::string message(n, '\0');
  if (n > 0 && !internal::RecvAll(fd, message.data(), n, &why))
    throw CameraError(label + ": acknowledgement cut short (" + why + ")");
  if (status == kAckPlaced) return;
  if (status == kAckNoSceneControl)
    throw CameraError(label + ": the server has no scene control (" + message + ")");
  throw CameraError(label + ": placement (" + std::to_string(x) + ", " + std::to_string(y) + ", yaw " +
                    std::to_string(yaw) + ") rejected: " + message);
}

VirtualCamera::VirtualCamera(const std::string& socket_path, const CameraOptions& options)
    : Camera("virtual:" + socket_path),
      path_(socket_path),
      label_("virtual camera " + socket_path),
      options_(options) {
  ValidateOptions(options, name());
  if (options_.rotation == -90) options_.rotation = 270;
  internal::UnixAddress(path_);  // throws IoError for an impossible path before any waiting

  // Wait for a server with a frame; the virtual robot may still be starting.
  const double deadline = NowSeconds() + options.first_frame_timeout_s;
  std::string why;
  Frame frame;
  for (;;) {
    if (fd_ >= 0 || Connect(&why)) {
      if (Request(&frame, &why)) {
        if (frame.sequence > 0) break;
        why = "the server has no frame yet";
      } else {
        Close();
      }
    }
    if (NowSeconds() >= deadline) {
      Close();
      throw CameraError(label_ + ": no frame within " + Seconds(options.first_frame_timeout_s) + " (" + why +
                        "); is the virtual robot running?");
    }
    SleepSeconds(0.01);
  }
  int w = 0, h = 0;
  internal::RotatedSize(options_.rotation, frame.image.width, frame.image.height, &w, &h);
  if (options.width > 0 && (options.width != w || options.height != h)) {
    Close();
    throw ConfigError(label_ + ": the server's frames are " + std::to_string(w) + "x" + std::to_string(h) +
                      " (after rotation) but " + std::to_string(options.width) + "x" +
                      std::to_string(options.height) + " was asked for");
  }
}

VirtualCamera::~VirtualCamera() { Close(); }

void VirtualCamera::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool VirtualCamera::Connect(std::string* why) {
  Close();
  const sockaddr_un addr = internal::UnixAddress(path_);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *why = std::string("socket: ") + std::strerror(errno);
    return false;
  }
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    *why = std::string("connect: ") + std::strerror(errno);
    ::close(fd);
    return false;
  }
  internal::SetTimeouts(fd, kClientIoTimeoutS);
  fd_ = fd;
  return true;
}

bool VirtualCamera::Request(Frame* frame, std::string* why) {
  uint8_t request[kFrameRequestBytes];
  std::memcpy(request, "S2RQ", 4);
  internal::PutU32(request + 4, kFrameCommandLatest);
  uint8_t header[kFrameHeaderBytes];
  if (!internal::SendAll(fd_, request, sizeof(request), why) ||
      !internal::RecvAll(fd_, header, sizeof(header), why)) {
    return false;
  }
  const uint32_t version = internal::GetU32(header + 4);
  const uint32_t width = internal::GetU32(header + 8), height = internal::GetU32(header + 12);
  const uint64_t sequence = internal::GetU64(header + 16);
  if (std::memcmp(header, "S2RF", 4) != 0 || version != kFrameProtocolVersion || width > kMaxFrameSide ||
      height > kMaxFrameSide || (sequence == 0) != (width == 0 || height == 0)) {
    *why = "protocol error (not a sim2real frame server of protocol version " +
           std::to_string(kFrameProtocolVersion) + ")";
    return false;
  }
  frame->sequence = sequence;
  frame->timestamp_s = internal::GetF64(header + 24);
  frame->image = media::Image(static_cast<int>(width), static_cast<int>(height), 3);
  if (sequence == 0) {
    frame->image = media::Image();
    return true;
  }
  return internal::RecvAll(fd_, frame->image.data(), frame->image.pixels.size(), why);
}

Frame VirtualCamera::Read() {
  Frame frame;
  std::string why = "not connected";
  bool ok = fd_ >= 0 && Request(&frame, &why);
  for (int attempt = 1; !ok && attempt <= options_.reconnect_attempts; ++attempt) {
    if (attempt > 1) SleepSeconds(options_.reconnect_delay_s);
    ok = Connect(&why) && Request(&frame, &why);
  }
  if (!ok) {
    Close();
    throw CameraError(label_ + ": frame server unreachable after " +
                      std::to_string(options_.reconnect_attempts) + " reconnection attempts (last: " + why +
                      "); is the virtual robot running?");
  }
  if (frame.sequence == 0) throw StaleFrameError(label_ + ": the server has no frame yet");
  const double age = NowSeconds() - frame.timestamp_s;
  if (age > options_.max_age_s) {
    throw StaleFrameError(label_ + ": newest frame is " + Seconds(age) + " old (limit " +
                          Seconds(options_.max_age_s) + "); the virtual robot stopped updating it");
  }
  if (options_.rotation != 0) frame.image = internal::Rotate(frame.image, options_.rotation);
  if (options_.width > 0 && (frame.image.width != options_.width || frame.image.height != options_.height)) {
    throw CameraError(label_ + ": the server's frame size changed to " + std::to_string(frame.image.width) +
                      "x" + std::to_string(frame.image.height) + " (after rotation), expected " +
                      std::to_string(options_.width) + "x" + std::to_string(options_.height));
  }
  return frame;
}

}  // namespace s2r::camera
