#include "camera/gst_pipeline.h"

#include <cmath>

#include "core/error.h"

namespace s2r::camera {

int NvvidconvFlipMethod(int rotation_cw) {
  switch (rotation_cw) {
    case 0:
      return 0;
    case 90:
      return 3;  // clockwise 90
    case 180:
      return 2;  // rotate 180
    case 270:
    case -90:
      return 1;  // counterclockwise 90
    default:
      throw ConfigError("nvvidconv rotation must be 0, 90, 180 or 270 (or -90) degrees, got " +
                        std::to_string(rotation_cw));
  }
}

std::string CsiPipeline(int sensor_id, const CameraOptions& options) {
  const int width = options.width > 0 ? options.width : kCsiDefaultWidth;
  const int height = options.height > 0 ? options.height : kCsiDefaultHeight;
  std::string framerate = std::to_string(kCsiFps) + "/1";
  if (options.fps > 0) {
    const double whole = std::round(options.fps);
    framerate = std::abs(options.fps - whole) < 1e-9
                    ? std::to_string(static_cast<long>(whole)) + "/1"
                    : std::to_string(std::lround(options.fps * 1000)) + "/1000";
  }
  const int flip = NvvidconvFlipMethod(options.rotation);
  return "nvarguscamerasrc sensor-id=" + std::to_string(sensor_id) +
         " ! video/x-raw(memory:NVMM), width=" + std::to_string(kCsiCaptureWidth) +
         ", height=" + std::to_string(kCsiCaptureHeight) + ", format=(string)NV12, framerate=(fraction)" +
         framerate + " ! nvvidconv" + (flip != 0 ? " flip-method=" + std::to_string(flip) : std::string()) +
         " ! video/x-raw, width=(int)" + std::to_string(width) + ", height=(int)" + std::to_string(height) +
         ", format=(string)BGRx ! videoconvert ! video/x-raw, format=(string)BGR"
         " ! appsink drop=true max-buffers=1 sync=false";
}

}  // namespace s2r::camera
