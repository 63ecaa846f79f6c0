#include "camera/video_file_camera.h"

#include <sys/stat.h>

#include <opencv2/core.hpp>
#include <opencv2/videoio.hpp>
#include <optional>

#include "camera/cv_convert.h"

namespace s2r::camera {

struct VideoFileCamera::Impl {
  std::string path;
  int rotation = 0;
  bool loop = false;
  cv::VideoCapture cap;
  cv::Mat bgr;
  std::optional<media::Image> pending;  // the first frame, decoded by the constructor
  uint64_t sequence = 0;
  int frames_this_pass = 0;

  bool OpenFile() { return cap.open(path, cv::CAP_FFMPEG) && cap.isOpened(); }
  bool Next(media::Image* out) {
    if (!cap.read(bgr) || bgr.empty()) return false;
    *out = internal::ToRgbRotated(bgr, rotation);
    return true;
  }
};

VideoFileCamera::VideoFileCamera(const std::string& path, const CameraOptions& options)
    : Camera(path), impl_(std::make_unique<Impl>()) {
  ValidateOptions(options, path);
  Impl& m = *impl_;
  m.path = path;
  m.rotation = options.rotation == -90 ? 270 : options.rotation;
  m.loop = options.loop;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    throw ConfigError("camera video file " + path + ": no such file (expected a video such as an .mp4)");
  }
  if (!m.OpenFile())
    throw ConfigError("camera video file " + path + ": not a video OpenCV/FFmpeg can decode");
  media::Image first;
  if (!m.Next(&first)) throw ConfigError("camera video file " + path + ": has no frame");
  width_ = first.width;
  height_ = first.height;
  fps_ = m.cap.get(cv::CAP_PROP_FPS);
  if (options.width > 0 && (options.width != width_ || options.height != height_)) {
    throw ConfigError("camera video file " + path + ": frames are " + std::to_string(width_) + "x" +
                      std::to_string(height_) + " (after rotation) but " + std::to_string(options.width) +
                      "x" + std::to_string(options.height) + " was asked for");
  }
  m.pending = std::move(first);
}

VideoFileCamera::~VideoFileCamera() = default;

Frame VideoFileCamera::Read() {
  Impl& m = *impl_;
  Frame frame;
  if (m.pending) {
    frame.image = std::move(*m.pending);
    m.pending.reset();
  } else if (!m.Next(&frame.image)) {
    if (!m.loop) {
      throw EndOfVideoError("camera video file " + m.path + ": end of video after " +
                            std::to_string(m.frames_this_pass) + " frames");
    }
    // Reopening is the reliable way back to frame 0 (seeking in H.264 may land on a keyframe elsewhere).
    m.cap.release();
    if (!m.OpenFile() || !m.Next(&frame.image)) {
      throw CameraError("camera video file " + m.path + ": cannot restart the video for looping");
    }
    m.frames_this_pass = 0;
  }
  if (frame.image.width != width_ || frame.image.height != height_) {
    throw CameraError("camera video file " + m.path + ": frame size changed mid-video to " +
                      std::to_string(frame.image.width) + "x" + std::to_string(frame.image.height));
  }
  ++m.frames_this_pass;
  frame.sequence = ++m.sequence;
  frame.timestamp_s = NowSeconds();
  return frame;
}

}  // namespace s2r::camera
