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
//
// Scene control (command 2, added within version 1; a server without it closes the connection): the
// virtual robot's stand-in for the human who resets the scene between episodes.
//   Request, 32 bytes (client -> server):
//     0  char[4]  "S2RQ"
//     4  u32      command: 2 = place the object
//     8  f64      x, m   } the object's centre on the table, in the table (world = robot base) frame the
//     16 f64      y, m   } env's cube spawn box uses (x forward from the base, y to the left)
//     24 f64      yaw, rad, about the table normal
//   Response (server -> client), after the owner's handler returned:
//     0  char[4]  "S2RA"
//     4  u32      status: 0 = placed; 1 = this server has no scene control (no handler set);
//                 2 = the handler rejected the placement (e.g. off the table, non-finite)
//     8  u32      n, length of the message that follows (at most kMaxAckMessageBytes; 0 when placed)
//     12 char[n]  the reason, UTF-8
//   The handler runs on the server's thread, so frames are not served meanwhile.
//
// Scene state (command 3, within version 1): ground truth the virtual robot knows and a real scene does
// not (the real-robot evaluation counts successes with it when it runs against the virtual robot).
//   Request, 8 bytes: "S2RQ", u32 command 3.
//   Response, 48 bytes:
//     0  char[4]  "S2RS"
//     4  u32      status: 0 = state follows; 1 = no scene control (the fields are 0)
//     8  f64      object x, m   (table frame, as command 2)
//     16 f64      object y, m
//     24 f64      object z, m   (its centre)
//     32 f64      object yaw, rad
//     40 u32      flags: bit 0 = grasped, bit 1 = task success (the env's own success test)
//     44 u32      0
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "camera/camera.h"

namespace s2r::camera {

inline constexpr uint32_t kFrameProtocolVersion = 1;
inline constexpr uint32_t kFrameCommandLatest = 1;
inline constexpr int kFrameRequestBytes = 8;
inline constexpr int kFrameHeaderBytes = 32;
inline constexpr int kMaxFrameSide = 16384;  // pixels; a larger size in a header is a protocol error
inline constexpr uint32_t kFrameCommandPlaceObject = 2;
inline constexpr int kPlaceRequestBytes = 32;
inline constexpr int kAckHeaderBytes = 12;
inline constexpr uint32_t kAckPlaced = 0;
inline constexpr uint32_t kAckNoSceneControl = 1;
inline constexpr uint32_t kAckRejected = 2;
inline constexpr uint32_t kMaxAckMessageBytes = 4096;

// Places the scene's object at (x, y) m with `yaw` rad (see the protocol above). Throws (any
// std::exception) to reject the placement; what() goes back to the client.
using PlaceObjectHandler = std::function<void(double x, double y, double yaw)>;

struct SceneState {
  double x = 0, y = 0, z = 0, yaw = 0;  // the object's pose, m and rad
  bool grasped = false;
  bool success = false;  // the task's success condition, evaluated by the scene's owner
};
inline constexpr uint32_t kFrameCommandSceneState = 3;
inline constexpr int kSceneStateBytes = 48;
using SceneStateHandler = std::function<SceneState()>;

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

  // Frames on demand instead of (or besides) SetFrame: when a client asks for a frame and the latest one
  // is older than max_age_s (or there is none), the server calls `render` on its thread and publishes the
  // result (timestamped when the call began) first. An exception from `render` keeps the older frame.
  // An empty function clears it. Thread-safe; `render` must not call back into this server.
  using FrameSource = std::function<media::Image()>;
  void SetFrameSource(FrameSource render, double max_age_s);

  // Sets (or, with an empty function, clears) the handler of command 2. Thread-safe; the handler is
  // called on the server's thread, one request at a time, and must not call back into this server.
  void SetPlaceObjectHandler(PlaceObjectHandler handler);
  // The same for command 3 (scene state).
  void SetSceneStateHandler(SceneStateHandler handler);

  const std::string& path() const;
  uint64_t frames_set() const;  // the sequence number of the latest frame (0 = none yet)

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Asks the frame server at `socket_path` to place its object at (x, y) m with `yaw` rad (command 2) and
// waits up to `timeout_s` for the acknowledgement. Throws std::invalid_argument for a non-finite value
// (nothing sent), IoError for an impossible socket path, and CameraError naming the socket when no server
// answers, it has no scene control (an old server closing the connection counts as that) or the owner
// rejected the placement (the message carries its reason).
void PlaceObjectVirtual(const std::string& socket_path, double x, double y, double yaw,
                        double timeout_s = 5.0);

// Asks the frame server at `socket_path` for its scene state (command 3). Returns nullopt when the server
// has no scene control; throws CameraError naming the socket when no server answers within timeout_s.
std::optional<SceneState> QuerySceneVirtual(const std::string& socket_path, double timeout_s = 2.0);

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
