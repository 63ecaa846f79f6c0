// A video file (MP4, MKV, AVI, ... anything OpenCV's FFmpeg backend decodes) as a camera, for replays and
// tests: each Read() decodes the next frame.
#pragma once

#include <memory>
#include <string>

#include "camera/camera.h"

namespace s2r::camera {

class VideoFileCamera : public Camera {
 public:
  // Opens `path` and decodes its first frame. options.rotation is applied; options.width/height, when
  // set, must equal the (rotated) video size. fps, fourcc, max_age_s and the reconnect options do not
  // apply. Throws ConfigError naming the path if it is missing, not a decodable video, has no frame, or
  // the size differs.
  VideoFileCamera(const std::string& path, const CameraOptions& options);
  ~VideoFileCamera() override;

  // The next frame of the file ([H,W,3] uint8 RGB; timestamp_s = decode time, sequence counts every
  // frame returned, across loops). At the end it starts again when options.loop, else throws
  // EndOfVideoError naming the path and the frame count. No pacing: frames come as fast as they decode.
  Frame Read() override;

  int width() const { return width_; }  // delivered frame size (after rotation), pixels
  int height() const { return height_; }
  double fps() const { return fps_; }  // the file's frame rate (0 if unknown)

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int width_ = 0, height_ = 0;
  double fps_ = 0;
};

}  // namespace s2r::camera
