// Frames over a Unix domain socket: FrameServer (owned by the virtual robot, which renders the scene and
// calls SetFrame) and VirtualCamera (the `virtual:PATH` camera, the client).
//
// Protocol, version 1. A SOCK_STREAM Unix socket at PATH. Integers are little-endian, f64 is IEEE-754.
// A connection carries any number of request/response pairs, one at a time; either side may close it
// at any time (the client then reconnects).
//   Request, 8 bytes (client -> server):
//     0  char[4]  "S2RQ"
//     4  u32      command: 1 = send the latest frame (anything else: the server closes the connection)
//   Response, a 32-byte header then the pixels (server -> client):
//     0  char[4]  "S2RF"
//     4  u32      protocol version, 1
//     8  u32      width, pixels (at most kMaxFrameSide)
//     12 u32      height, pixels (at most kMaxFrameSide)
//     16 u64      sequence: 1 for the first frame set, +1 per SetFrame; 0 = no frame yet (width =
//                 height = 0 and no pixels follow)
//     24 f64      timestamp_s: capture time on CLOCK_MONOTONIC (NowSeconds()), seconds
//     32 u8[height * width * 3]  RGB, [height, width, 3], top row first
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "camera/camera.h"

namespace s2r::camera {

inline constexpr uint32_t kFrameProtocolVersion = 1;
inline constexpr uint32_t kFrameCommandLatest = 1;
inline constexpr int kFrameRequestBytes = 8;
inline constexpr int kFrameHeaderBytes = 32;
inline constexpr int kMaxFrameSide = 16384;  // pixels; a larger size in a header is a protocol error

// Serves the latest frame to any number of clients from one thread.
class FrameServer {
 public:
  // Binds and listens at `path`. A socket file left there by a dead server is replaced. Throws IoError
  // naming the path when the path is too long for a Unix socket (107 bytes), its folder is missing or
  // not writable, a file that is not a socket is there, or a live server already serves it.
  explicit FrameServer(const std::string& path);
  // Stops and joins the thread, closes every connection and removes the socket file. Never throws.
  ~FrameServer();
  FrameServer(const FrameServer&) = delete;
  FrameServer& operator=(const FrameServer&) = delete;

  // Makes `rgb` ([H,W,3] uint8, copied) the frame served from now on, with its capture time (seconds,
  // NowSeconds() clock). Thread-safe. Throws ConfigError if rgb is not 3-channel, empty, or a side
  // exceeds kMaxFrameSide.
  void SetFrame(const media::Image& rgb, double timestamp_s);
  void SetFrame(const media::Image& rgb) { SetFrame(rgb, NowSeconds()); }

  const std::string& path() const;
  uint64_t frames_set() const;  // the sequence number of the latest frame (0 = none yet)

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The client: a camera reading frames from a FrameServer. Spec `virtual:PATH`.
class VirtualCamera : public Camera {
 public:
  // Connects to the server at `socket_path`, waiting up to options.first_frame_timeout_s for it to be
  // there and to have a frame. options.rotation is applied; options.width/height, when set, must equal
  // the served (rotated) size. fps and fourcc do not apply. Throws ConfigError for bad options or a
  // size mismatch, CameraError naming the socket when no server or no frame came in time.
  VirtualCamera(const std::string& socket_path, const CameraOptions& options);
  ~VirtualCamera() override;  // closes the connection

  // Asks the server for its latest frame. A broken connection (server restarted or gone) is reopened:
  // up to options.reconnect_attempts tries, the first at once, the others options.reconnect_delay_s
  // apart; then CameraError naming the socket. Throws StaleFrameError naming the socket when the
  // frame's timestamp is older than options.max_age_s (the owner stopped calling SetFrame) or the
  // server has no frame. Each request waits at most 2 s for the server.
  Frame Read() override;

 private:
  bool Connect(std::string* why);
  bool Request(Frame* frame, std::string* why);  // one exchange on the open connection
  void Close();

  std::string path_, label_;
  CameraOptions options_;
  int fd_ = -1;
};

}  // namespace s2r::camera
