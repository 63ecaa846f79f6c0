// The pinhole camera shared by the batch renderer, MuJoCo's reference renderer and the real camera
// tools. Units: metres and radians; images are [H, W] with row 0 at the top.
#pragma once

#include <array>

namespace s2r::render {

inline constexpr double kNear = 0.01;  // m
inline constexpr double kFar = 100.0;  // m

// A camera looking from `eye` at `target` (world frame), turned by `roll` about the view axis, with a
// vertical field of view `fovy`. A positive roll turns the camera counter-clockwise as seen from
// behind it (looking along the view direction), so the picture turns clockwise.
struct CameraPose {
  std::array<double, 3> eye = {0.5, 0.3, 0.35};
  std::array<double, 3> target = {0.3, 0.0, 0.1};
  double roll = 0.0;                 // rad
  double fovy = 0.9075712110370514;  // rad (52 deg)
};

// Orthonormal camera axes in the world frame: forward = view axis (eye -> target); up = world +z
// made perpendicular to forward (world +y if the view is vertical), right = forward x up, then
// right' = cos(roll) right + sin(roll) up and up' = -sin(roll) right + cos(roll) up. Note that
// (right, up, forward) is a left-handed basis.
struct CameraFrame {
  std::array<double, 3> eye{}, right{}, up{}, forward{};
};
CameraFrame MakeCameraFrame(const CameraPose& pose);

// Square pixels: f = (H / 2) / tan(fovy / 2); the principal point is the image centre.
// A camera-frame point (x right, y up, z forward) lands at column u = cx + f x / z, row v = cy - f y / z,
// where pixel (row i, column j) covers [j, j + 1) x [i, i + 1) and its centre is (j + 0.5, i + 0.5).
struct Intrinsics {
  int width = 0, height = 0;
  double f = 0, cx = 0, cy = 0;
};
Intrinsics MakeIntrinsics(int width, int height, double fovy);

// World point -> (u, v, depth along forward). Returns false if the point is not in front of the near plane.
bool ProjectPoint(const CameraFrame& cam, const Intrinsics& k, const std::array<double, 3>& p, double* u,
                  double* v, double* depth);

}  // namespace s2r::render
