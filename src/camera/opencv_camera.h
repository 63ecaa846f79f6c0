// A USB (UVC) camera through OpenCV's V4L2 backend, as LeRobot's OpenCVCamera: a grab thread keeps only
// the latest frame, converted BGR -> RGB and rotated.
#pragma once

#include <memory>
#include <string>
#include <variant>

#include "camera/camera.h"

namespace s2r::camera {

class OpenCvCamera : public Camera {
 public:
  // `device` is a V4L2 index (N opens /dev/videoN) or a device path (/dev/video4, or a stable
  // /dev/v4l/by-id/... link, which survives re-plugging where an index may not).
  //
  // Opening, in LeRobot's order: fourcc, then width x height (swapped for rotation 90/270, so the
  // delivered frame is options.width x options.height), then fps; each is read back, and a size or fps
  // the device does not take (fps relative tolerance 1e-3) is a ConfigError naming the device and both
  // values, while a fourcc it ignores only warns on stderr. Then the grab thread starts and the
  // constructor waits up to options.first_frame_timeout_s for a frame.
  //
  // Throws ConfigError (bad options, unsupported mode) or CameraError naming the device (missing, not a
  // capture device, busy, no frame in time). A missing device fails at once.
  //
  // Process-wide side effects of the first camera: cv::setNumThreads(1) as LeRobot, and the environment
  // variable OPENCV_VIDEOIO_V4L_SELECT_TIMEOUT is set to 1 (second) unless already set, so a stalled
  // camera blocks the grab thread (and shutdown) for at most that long instead of OpenCV's 10 s.
  OpenCvCamera(std::variant<int, std::string> device, const CameraOptions& options);
  // Stops and joins the grab thread, then releases the device. Never throws.
  ~OpenCvCamera() override;

  // The newest frame, never blocking on the device. Throws StaleFrameError naming the device if it is
  // older than options.max_age_s (also while reconnecting), CameraError once the device was lost and
  // options.reconnect_attempts reopenings failed.
  //
  // The grab thread counts a failed read, an empty frame or a frame of the wrong size as a failure; after
  // more than 10 failures in a row, or as soon as the device node disappears, it releases the device and
  // tries to reopen it (same settings) up to options.reconnect_attempts times, options.reconnect_delay_s
  // apart. Thread-safe.
  Frame Read() override;

  // Size of the delivered frames (after rotation), pixels.
  int width() const;
  int height() const;
  double fps() const;  // as the device reports it

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace s2r::camera
