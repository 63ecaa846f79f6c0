// Camera specs, as given on the command line or in a config: which kind of camera a string names, and
// opening it.
#pragma once

#include <memory>
#include <string>

#include "camera/camera.h"

namespace s2r::camera {

struct CameraSpec {
  enum class Kind { kIndex, kDevice, kVideoFile, kVirtual, kCsi, kGstreamer };
  Kind kind = Kind::kIndex;
  int index = 0;         // kIndex: the V4L2 index (N = /dev/videoN); kCsi: the nvarguscamerasrc sensor-id
  std::string path;      // kDevice: the /dev path; kVideoFile: the file; kVirtual: the socket path
  std::string pipeline;  // kGstreamer: the pipeline, as given (gst-launch-1.0 syntax, ending in an appsink)
};

// Reads a SPEC:
//   "0", "2"                  a V4L2 camera index (digits only)
//   "/dev/video4", "/dev/v4l/by-id/usb-..."   a device path (anything under /dev/)
//   "replay.mp4", "/x/y.MKV"  a video file: a path ending in .mp4 .m4v .mov .mkv .avi or .webm (any case)
//   "virtual:/tmp/robot.sock" the frame server of a virtual robot at that socket path
//   "csi", "csi:1"            a Jetson CSI camera (the Jetbot's) by nvarguscamerasrc sensor-id (digits;
//                             "csi" = 0), through the GStreamer pipeline of gst_pipeline.h's CsiPipeline
//   "gst:PIPELINE"            any GStreamer pipeline ending in an appsink that delivers BGR, e.g.
//                             "gst:v4l2src ! videoconvert ! video/x-raw,format=BGR ! appsink"
// Throws ConfigError naming the spec and listing these forms for anything else (empty, negative or
// non-integer numbers, "virtual:" without a path, "csi:" without digits, "gst:" with an empty pipeline or
// none that mentions an appsink, other file types). Nothing is opened or checked on disk.
CameraSpec ParseCameraSpec(const std::string& spec);

// Opens the camera a SPEC names: OpenCvCamera for an index or device (V4L2) or for csi / gst:
// (GStreamer; csi builds CsiPipeline(sensor-id, options), which rotates in the pipeline), VideoFileCamera,
// or VirtualCamera. Throws what ParseCameraSpec and those constructors throw (ConfigError, CameraError,
// IoError).
std::unique_ptr<Camera> OpenCamera(const std::string& spec, const CameraOptions& options);

}  // namespace s2r::camera
