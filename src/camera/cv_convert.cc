#include "camera/cv_convert.h"

#include <opencv2/imgproc.hpp>

#include "core/error.h"

namespace s2r::camera::internal {

namespace {

// Rotates `src` into `dst` (dst may not alias src); returns false for 0 degrees (nothing written).
bool RotateMat(const cv::Mat& src, cv::Mat& dst, int rotation) {
  switch (rotation) {
    case 90:
      cv::rotate(src, dst, cv::ROTATE_90_CLOCKWISE);
      return true;
    case 180:
      cv::rotate(src, dst, cv::ROTATE_180);
      return true;
    case 270:
    case -90:
      cv::rotate(src, dst, cv::ROTATE_90_COUNTERCLOCKWISE);
      return true;
    default:
      return false;
  }
}

}  // namespace

media::Image ToRgbRotated(const cv::Mat& frame, int rotation) {
  S2R_CHECK(frame.depth() == CV_8U && !frame.empty(), "camera frame must be 8-bit");
  cv::Mat rgb;
  switch (frame.channels()) {
    case 1:
      cv::cvtColor(frame, rgb, cv::COLOR_GRAY2RGB);
      break;
    case 4:
      cv::cvtColor(frame, rgb, cv::COLOR_BGRA2RGB);
      break;
    default:
      S2R_CHECK(frame.channels() == 3, "unexpected channel count " << frame.channels());
      cv::cvtColor(frame, rgb, cv::COLOR_BGR2RGB);
  }
  cv::Mat rotated;
  const cv::Mat& out = RotateMat(rgb, rotated, rotation) ? rotated : rgb;
  media::Image image(out.cols, out.rows, 3);
  cv::Mat wrap(out.rows, out.cols, CV_8UC3, image.data());
  out.copyTo(wrap);  // writes into image.pixels (same size and type, so no reallocation)
  return image;
}

media::Image Rotate(const media::Image& rgb, int rotation) {
  if (rotation == 0) return rgb;
  const cv::Mat src(rgb.height, rgb.width, CV_8UC(rgb.channels), const_cast<uint8_t*>(rgb.data()));
  cv::Mat rotated;
  RotateMat(src, rotated, rotation);
  media::Image image(rotated.cols, rotated.rows, rgb.channels);
  cv::Mat wrap(rotated.rows, rotated.cols, CV_8UC(rgb.channels), image.data());
  rotated.copyTo(wrap);
  return image;
}

}  // namespace s2r::camera::internal
