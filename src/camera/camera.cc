#include "camera/camera.h"

#include <time.h>

#include <cmath>
#include <sstream>

namespace s2r::camera {

double NowSeconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

void ValidateOptions(const CameraOptions& o, const std::string& spec) {
  auto fail = [&](const std::string& what) { throw ConfigError("camera " + spec + ": " + what); };
  auto number = [](double v) {
    std::ostringstream os;
    os << v;
    return os.str();
  };
  if (o.width < 0 || o.height < 0 || (o.width == 0) != (o.height == 0)) {
    fail("width and height must both be positive (or both 0 for the source's own size), got " +
         std::to_string(o.width) + "x" + std::to_string(o.height));
  }
  if (!(o.fps >= 0) || !std::isfinite(o.fps))
    fail("fps must be >= 0 (0 = device default), got " + number(o.fps));
  if (!o.fourcc.empty() && o.fourcc.size() != 4) {
    fail("fourcc must be 4 characters such as MJPG or YUYV, got '" + o.fourcc + "'");
  }
  if (o.rotation != 0 && o.rotation != 90 && o.rotation != 180 && o.rotation != 270 && o.rotation != -90) {
    fail("rotation must be 0, 90, 180 or 270 (or -90) degrees, got " + std::to_string(o.rotation));
  }
  if (!(o.max_age_s > 0)) fail("max frame age must be > 0 seconds, got " + number(o.max_age_s));
  if (!(o.first_frame_timeout_s > 0)) {
    fail("first-frame timeout must be > 0 seconds, got " + number(o.first_frame_timeout_s));
  }
  if (o.reconnect_attempts < 0) {
    fail("reconnect attempts must be >= 0, got " + std::to_string(o.reconnect_attempts));
  }
  if (!(o.reconnect_delay_s >= 0))
    fail("reconnect delay must be >= 0 seconds, got " + number(o.reconnect_delay_s));
}

media::Image PreprocessObservation(const media::Image& rgb, int width, int height) {
  if (rgb.channels != 3 || rgb.empty()) {
    throw ConfigError("camera observation: expected a non-empty [H,W,3] RGB frame, got " +
                      std::to_string(rgb.width) + "x" + std::to_string(rgb.height) + "x" +
                      std::to_string(rgb.channels));
  }
  return media::CropAndResize(rgb, width, height);
}

}  // namespace s2r::camera
