// GStreamer pipelines for the cameras OpenCV opens through its GStreamer backend: the Jetbot's CSI camera
// (`--camera csi`). Strings only: no OpenCV, no GStreamer, so tests can check them exactly.
#pragma once

#include <string>

#include "camera/camera.h"

namespace s2r::camera {

// NVIDIA-AI-IOT/jetbot's OpenCvGstCamera defaults: the sensor mode captured (pixels, frames per second)
// and the delivered size (pixels) when CameraOptions leave width/height at 0.
constexpr int kCsiCaptureWidth = 816, kCsiCaptureHeight = 616;
constexpr int kCsiFps = 21;
constexpr int kCsiDefaultWidth = 224, kCsiDefaultHeight = 224;

// nvvidconv's flip-method for a clockwise rotation in degrees (0, 90, 180, 270; -90 = 270): 0 none,
// 3 clockwise 90, 2 rotate 180, 1 counterclockwise 90. Throws ConfigError for any other angle.
int NvvidconvFlipMethod(int rotation_cw);

// The Jetson CSI camera pipeline, as jetbot's OpenCvGstCamera: nvarguscamerasrc (sensor `sensor_id`) at
// 816x616 NV12, kCsiFps frames per second (options.fps when > 0), then nvvidconv scales (and rotates, by
// flip-method, for options.rotation) to options.width x options.height (224x224 when 0) BGRx, videoconvert
// to BGR, and an appsink that keeps only the newest frame (drop=true max-buffers=1 sync=false). The
// delivered frame is the final size after rotation, so nothing is rotated again in software. A
// non-integer fps is written as a fraction over 1000 (29.97 -> 29970/1000). Options are not validated
// here (OpenCvCamera does).
std::string CsiPipeline(int sensor_id, const CameraOptions& options);

}  // namespace s2r::camera
