// The camera interface of the real-robot side: a source of RGB frames with capture timestamps, its
// options and errors, and the observation preprocessing shared with the sim. Implementations:
// OpenCvCamera (USB camera through V4L2), VideoFileCamera (replay), VirtualCamera (the virtual robot's
// FrameServer); OpenCamera (open_camera.h) picks one from a spec string. No MuJoCo, no torch.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "core/error.h"
#include "media/image.h"

namespace s2r::camera {

// Seconds on CLOCK_MONOTONIC (the same clock in every process of the machine, so timestamps can cross a
// socket). Every Frame::timestamp_s is on this clock.
double NowSeconds();

struct Frame {
  media::Image image;      // [height, width, 3] uint8 RGB, top row first
  double timestamp_s = 0;  // capture time, NowSeconds() clock, seconds
  uint64_t sequence = 0;   // 1 for the first frame the source produced, +1 per new frame
};

// A camera that cannot deliver: the device or file cannot be opened, was lost and did not come back, or
// the server is gone. The message names the device, file or socket.
class CameraError : public IoError {
 public:
  using IoError::IoError;
};

// The newest frame is older than CameraOptions::max_age_s (the camera stopped delivering, e.g. a stalled
// USB camera or a virtual robot that stopped rendering). The message names the device and the age.
class StaleFrameError : public CameraError {
 public:
  using CameraError::CameraError;
};

// A video file opened without looping has no more frames.
class EndOfVideoError : public CameraError {
 public:
  using CameraError::CameraError;
};

struct CameraOptions {
  // Size of the delivered frame in pixels, after rotation; 0 keeps the source's own size. A source that
  // cannot deliver this size is a ConfigError.
  int width = 0, height = 0;
  double fps = 0;          // frames per second asked of a USB camera; 0 keeps the device default
  std::string fourcc;      // USB camera pixel format, 4 characters (e.g. "MJPG", "YUYV"); "" = device default
  int rotation = 0;        // degrees clockwise as LeRobot: 0, 90, 180, 270 (-90 is read as 270)
  double max_age_s = 0.5;  // Read() throws StaleFrameError when the newest frame is older
  double first_frame_timeout_s = 5;  // opening waits this long for the first frame
  int reconnect_attempts = 5;        // tries to reopen a lost device / socket before CameraError
  double reconnect_delay_s = 0.5;    // pause before each reopening attempt
  bool loop = false;                 // video files: start again at the end instead of EndOfVideoError
};

// Throws ConfigError naming the option (and `spec`, the camera it is for) when a value is out of range.
void ValidateOptions(const CameraOptions& options, const std::string& spec);

// A source of frames. Read() is called from one thread at a time; destruction stops any thread the
// camera owns and releases the device.
class Camera {
 public:
  virtual ~Camera() = default;
  Camera(const Camera&) = delete;
  Camera& operator=(const Camera&) = delete;

  // The newest frame (a USB camera or virtual camera may return the same frame twice; compare
  // `sequence`); a video file returns its next frame. Throws StaleFrameError, EndOfVideoError or
  // CameraError as documented above.
  virtual Frame Read() = 0;

  // The spec the camera was opened with, e.g. "/dev/video0", "2", "virtual:/tmp/robot.sock".
  const std::string& name() const { return name_; }

 protected:
  explicit Camera(std::string name) : name_(std::move(name)) {}

 private:
  std::string name_;
};

// The policy observation of a camera frame: centre crop to a square, then OpenCV-exact bilinear resize
// to the sensor's `width` x `height`. This is media::CropAndResize, the function the sim applies to the
// greenscreen photo, so real and simulated observations are preprocessed identically. `rgb` is
// [H,W,3] uint8; throws ConfigError if it is not 3-channel or the size is not positive.
media::Image PreprocessObservation(const media::Image& rgb, int width, int height);

}  // namespace s2r::camera
