#include "camera/frame_server.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "camera/frame_socket.h"

namespace s2r::camera {

namespace {

constexpr double kServerIoTimeoutS = 2;  // a client that stalls mid-request or mid-response is dropped

[[noreturn]] void Fail(const std::string& path, const std::string& what) {
  throw IoError("frame server at " + path + ": " + what);
}

}  // namespace

struct FrameServer::Impl {
  std::string path;
  int listen_fd = -1;
  int wake_read = -1, wake_write = -1;  // a pipe; a byte written wakes the thread to stop
  dev_t dev = 0;
  ino_t ino = 0;  // of our socket file, so only it is removed
  std::thread thread;

  mutable std::mutex mu;
  std::shared_ptr<const Frame> latest;                     // guarded by mu; immutable once published
  uint64_t sequence = 0;                                   // guarded by mu
  std::shared_ptr<const PlaceObjectHandler> place;         // guarded by mu; null: no scene control
  std::shared_ptr<const SceneStateHandler> scene;          // guarded by mu; null: no scene state
  std::shared_ptr<const FrameServer::FrameSource> source;  // guarded by mu; null: frames come by SetFrame
  double source_max_age_s = 0;                             // guarded by mu

  // Makes `rgb` the latest frame (copied), with the next sequence number.
  void Publish(const media::Image& rgb, double timestamp_s) {
    auto frame = std::make_shared<Frame>();
    frame->image = rgb;
    frame->timestamp_s = timestamp_s;
    std::lock_guard<std::mutex> lock(mu);
    frame->sequence = ++sequence;
    latest = std::move(frame);
  }

  ~Impl() {
    if (thread.joinable()) {
      const char byte = 1;
      while (::write(wake_write, &byte, 1) < 0 && errno == EINTR) {
      }
      thread.join();
    }
    for (int fd : {listen_fd, wake_read, wake_write}) {
      if (fd >= 0) ::close(fd);
    }
    struct stat st {};
    if (listen_fd >= 0 && ::lstat(path.c_str(), &st) == 0 && st.st_dev == dev && st.st_ino == ino) {
      ::unlink(path.c_str());
    }
  }

  // Answers one request on `fd`; false when the client is gone or misbehaves (then it is closed).
  bool Serve(int fd) {
    uint8_t request[kFrameRequestBytes];
    std::string why;
    if (!internal::RecvAll(fd, request, sizeof(request), &why)) return false;
    if (std::memcmp(request, "S2RQ", 4) != 0) return false;
    const uint32_t command = internal::GetU32(request + 4);
    if (command == kFrameCommandPlaceObject) return ServePlace(fd, request);
    if (command == kFrameCommandSceneState) return ServeSceneState(fd);
    if (command != kFrameCommandLatest) return false;
    std::shared_ptr<const Frame> frame;
    std::shared_ptr<const FrameServer::FrameSource> render;
    double max_age = 0;
    {
      std::lock_guard<std::mutex> lock(mu);
      frame = latest;
      render = source;
      max_age = source_max_age_s;
    }
    const double now = NowSeconds();
    if (render && (!frame || now - frame->timestamp_s > max_age)) {
      try {
        const media::Image rgb = (*render)();
        if (rgb.channels == 3 && !rgb.empty()) Publish(rgb, now);
      } catch (...) {  // keep the older frame
      }
      std::lock_guard<std::mutex> lock(mu);
      frame = latest;
    }
    uint8_t header[kFrameHeaderBytes] = {};
    std::memcpy(header, "S2RF", 4);
    internal::PutU32(header + 4, kFrameProtocolVersion);
    if (frame) {
      internal::PutU32(header + 8, static_cast<uint32_t>(frame->image.width));
      internal::PutU32(header + 12, static_cast<uint32_t>(frame->image.height));
      internal::PutU64(header + 16, frame->sequence);
      internal::PutF64(header + 24, frame->timestamp_s);
    }
    if (!internal::SendAll(fd, header, sizeof(header), &why)) return false;
    return !frame || internal::SendAll(fd, frame->image.data(), frame->image.pixels.size(), &why);
  }

  // Command 2: reads the placement, runs the handler and acknowledges.
  bool ServePlace(int fd, const uint8_t* head) {
    uint8_t request[kPlaceRequestBytes];
    std::memcpy(request, head, kFrameRequestBytes);
    std::string why;
    if (!internal::RecvAll(fd, request + kFrameRequestBytes, kPlaceRequestBytes - kFrameRequestBytes, &why))
      return false;
    const double x = internal::GetF64(request + 8), y = internal::GetF64(request + 16),
                 yaw = internal::GetF64(request + 24);
    std::shared_ptr<const PlaceObjectHandler> handler;
    {
      std::lock_guard<std::mutex> lock(mu);
      handler = place;
    }
    uint32_t status = kAckPlaced;
    std::string message;
    if (!handler || !*handler) {
      status = kAckNoSceneControl;
      message = "this frame server has no scene control";
    } else {
      try {
        (*handler)(x, y, yaw);
      } catch (const std::exception& e) {
        status = kAckRejected;
        message = e.what();
      } catch (...) {
        status = kAckRejected;
        message = "placement rejected";
      }
    }
    if (message.size() > kMaxAckMessageBytes) message.resize(kMaxAckMessageBytes);
    std::vector<uint8_t> ack(kAckHeaderBytes + message.size());
    std::memcpy(ack.data(), "S2RA", 4);
    internal::PutU32(ack.data() + 4, status);
    internal::PutU32(ack.data() + 8, static_cast<uint32_t>(message.size()));
    std::memcpy(ack.data() + kAckHeaderBytes, message.data(), message.size());
    return internal::SendAll(fd, ack.data(), ack.size(), &why);
  }

  // Command 3: the owner's scene state.
  bool ServeSceneState(int fd) {
    std::shared_ptr<const SceneStateHandler> handler;
    {
      std::lock_guard<std::mutex> lock(mu);
      handler = scene;
    }
    uint8_t out[kSceneStateBytes] = {};
    std::memcpy(out, "S2RS", 4);
    internal::PutU32(out + 4, 1);
    if (handler && *handler) {
      try {
        const SceneState st = (*handler)();
        internal::PutU32(out + 4, 0);
        internal::PutF64(out + 8, st.x);
        internal::PutF64(out + 16, st.y);
        internal::PutF64(out + 24, st.z);
        internal::PutF64(out + 32, st.yaw);
        internal::PutU32(out + 40, (st.grasped ? 1u : 0u) | (st.success ? 2u : 0u));
      } catch (...) {  // reported as "no scene control"
      }
    }
    std::string why;
    return internal::SendAll(fd, out, sizeof(out), &why);
  }

  void Loop() {
    std::vector<int> clients;
    std::vector<pollfd> fds;
    for (;;) {
      fds.clear();
      fds.push_back({wake_read, POLLIN, 0});
      fds.push_back({listen_fd, POLLIN, 0});
      for (int c : clients) fds.push_back({c, POLLIN, 0});
      if (::poll(fds.data(), fds.size(), -1) < 0) {
        if (errno == EINTR) continue;
        break;
      }
      if (fds[0].revents != 0) break;
      for (size_t i = clients.size(); i-- > 0;) {  // backwards, so erasing keeps the indices valid
        if (fds[i + 2].revents == 0) continue;
        if (!Serve(clients[i])) {
          ::close(clients[i]);
          clients.erase(clients.begin() + static_cast<std::ptrdiff_t>(i));
        }
      }
      if (fds[1].revents & POLLIN) {
        const int c = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
        if (c >= 0) {
          internal::SetTimeouts(c, kServerIoTimeoutS);
          clients.push_back(c);
        }
      }
    }
    for (int c : clients) ::close(c);
  }
};

FrameServer::FrameServer(const std::string& path) : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.path = path;
  const sockaddr_un addr = internal::UnixAddress(path);
  const auto* sa = reinterpret_cast<const sockaddr*>(&addr);

  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) Fail(path, "a file that is not a socket is there; not replacing it");
    const int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const bool live = probe >= 0 && ::connect(probe, sa, sizeof(addr)) == 0;
    const int err = errno;
    if (probe >= 0) ::close(probe);
    if (live) Fail(path, "another frame server is already serving this socket");
    if (err != ECONNREFUSED)
      Fail(path, std::string("cannot check the existing socket: ") + std::strerror(err));
    ::unlink(path.c_str());  // left by a server that died
  }
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) Fail(path, std::string("pipe: ") + std::strerror(errno));
  m.wake_read = pipe_fds[0];
  m.wake_write = pipe_fds[1];
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) Fail(path, std::string("socket: ") + std::strerror(errno));
  if (::bind(fd, sa, sizeof(addr)) != 0 || ::listen(fd, 16) != 0) {
    const int err = errno;
    ::close(fd);
    Fail(path, std::string("cannot listen: ") + std::strerror(err) +
                   " (does the folder exist and is it writable?)");
  }
  m.listen_fd = fd;
  if (::lstat(path.c_str(), &st) == 0) {
    m.dev = st.st_dev;
    m.ino = st.st_ino;
  }
  m.thread = std::thread([&m] { m.Loop(); });
}

FrameServer::~FrameServer() = default;

void FrameServer::SetFrame(const media::Image& rgb, double timestamp_s) {
  if (rgb.channels != 3 || rgb.empty() || rgb.width > kMaxFrameSide || rgb.height > kMaxFrameSide) {
    throw ConfigError("frame server at " + impl_->path + ": a frame must be [H,W,3] RGB with sides 1 to " +
                      std::to_string(kMaxFrameSide) + ", got " + std::to_string(rgb.width) + "x" +
                      std::to_string(rgb.height) + "x" + std::to_string(rgb.channels));
  }
  impl_->Publish(rgb, timestamp_s);
}

void FrameServer::SetFrameSource(FrameSource render, double max_age_s) {
  auto r = render ? std::make_shared<const FrameSource>(std::move(render)) : nullptr;
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->source = std::move(r);
  impl_->source_max_age_s = max_age_s;
}

void FrameServer::SetPlaceObjectHandler(PlaceObjectHandler handler) {
  auto h = handler ? std::make_shared<const PlaceObjectHandler>(std::move(handler)) : nullptr;
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->place = std::move(h);
}

void FrameServer::SetSceneStateHandler(SceneStateHandler handler) {
  auto h = handler ? std::make_shared<const SceneStateHandler>(std::move(handler)) : nullptr;
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->scene = std::move(h);
}

const std::string& FrameServer::path() const { return impl_->path; }

uint64_t FrameServer::frames_set() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->sequence;
}

}  // namespace s2r::camera
