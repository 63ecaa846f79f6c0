// A USB (UVC) camera through OpenCV's V4L2 backend, as LeRobot's OpenCVCamera, or a GStreamer pipeline
// (the Jetbot's CSI camera, any appsink pipeline) through OpenCV's GStreamer backend: a grab thread keeps
// only the latest frame, converted BGR -> RGB, rotated and (pipelines) resized.
#pragma once

#include <memory>
#include <string>
#include <variant>

#include "camera/camera.h"

namespace s2r::camera {

// A GStreamer pipeline to capture from.
struct GstPipelineSource {
  std::string name;      // the camera's name(), the spec it came from: "csi:0", "gst:videotestsrc ! ..."
  std::string pipeline;  // gst-launch-1.0 syntax, ending in an appsink delivering BGR (or BGRx, GRAY8)
  bool rotates = false;  // the pipeline applies CameraOptions::rotation itself (nvvidconv flip-method)
};

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

  // Opens `source.pipeline` with cv::VideoCapture(pipeline, cv::CAP_GSTREAMER), in the grab thread, and
  // waits up to options.first_frame_timeout_s for a frame (opening is bounded by that too: OpenCV 4.6
  // blocks without limit on a pipeline that never prerolls). The pipeline decides the capture size; each
  // frame is rotated by options.rotation (unless source.rotates) and then, when options.width/height are
  // set, resized to them (INTER_AREA when shrinking, else bilinear; the aspect ratio is not kept, as
  // nvvidconv does not). options.fps and fourcc do not apply (the pipeline sets them). Frames of another
  // size than the first count as failures, and reconnecting reopens the pipeline, as for a device.
  //
  // Throws ConfigError (bad options, no "appsink" in the pipeline), CameraError naming source.name when
  // this OpenCV has no GStreamer backend, when the pipeline cannot be opened (the message has the pipeline
  // and suggests trying it with gst-launch-1.0), or when no frame came in time.
  OpenCvCamera(GstPipelineSource source, const CameraOptions& options);

  // Stops the grab thread, then releases the device. Waits at most 1.5 s for the thread: one stuck in a
  // stalled GStreamer pipeline (OpenCV 4.6 has no read timeout for it) is left running, with a warning on
  // stderr, and releases the pipeline itself if it ever returns. Never throws.
  ~OpenCvCamera() override;

  // The newest frame, never blocking on the device. Throws StaleFrameError naming the device if it is
  // older than options.max_age_s (also while reconnecting), CameraError once the device was lost and
  // options.reconnect_attempts reopenings failed.
  //
  // The grab thread counts a failed read, an empty frame or a frame of the wrong size as a failure; after
  // more than 10 failures in a row, or as soon as the device node disappears, it releases the device and
  // tries to reopen it (same settings) up to options.reconnect_attempts times, options.reconnect_delay_s
  // apart. A pipeline that ends (end of stream) fails its reads at once, so it is reopened the same way.
  // Thread-safe.
  Frame Read() override;

  // Size of the delivered frames (after rotation), pixels.
  int width() const;
  int height() const;
  double fps() const;  // as the device (or the pipeline's appsink caps) reports it; 0 if unknown

 private:
  struct Impl;
  // Shared with the grab thread, so a thread left stuck in a pipeline keeps what it uses alive.
  std::shared_ptr<Impl> impl_;
};

}  // namespace s2r::camera
