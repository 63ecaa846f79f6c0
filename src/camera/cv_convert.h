// OpenCV <-> media::Image helpers shared by the camera implementations. Private to src/camera: it
// includes OpenCV, which no public header of the library does.
#pragma once

#include <opencv2/core.hpp>

#include "media/image.h"

namespace s2r::camera::internal {

// A CV_8UC3 BGR (or CV_8UC1 grey, CV_8UC4 BGRA) frame as an RGB image ([H,W,3] uint8), rotated
// clockwise by `rotation` degrees (0, 90, 180, 270; -90 = 270).
media::Image ToRgbRotated(const cv::Mat& frame, int rotation);

// An RGB image rotated clockwise by `rotation` degrees (a copy; 0 returns it unchanged).
media::Image Rotate(const media::Image& rgb, int rotation);

// (width, height) of a `width` x `height` source after rotating by `rotation`.
inline void RotatedSize(int rotation, int width, int height, int* out_width, int* out_height) {
  const bool swap = rotation == 90 || rotation == 270 || rotation == -90;
  *out_width = swap ? height : width;
  *out_height = swap ? width : height;
}

}  // namespace s2r::camera::internal
