#include "render/camera.h"

#include <cmath>

namespace s2r::render {

namespace {
using V3 = std::array<double, 3>;
V3 Sub(const V3& a, const V3& b) { return {a[0] - b[0], a[1] - b[1], a[2] - b[2]}; }
double Dot(const V3& a, const V3& b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }
V3 Cross(const V3& a, const V3& b) {
  return {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
}
V3 Normalize(const V3& a) {
  const double n = std::sqrt(Dot(a, a));
  return {a[0] / n, a[1] / n, a[2] / n};
}
}  // namespace

CameraFrame MakeCameraFrame(const CameraPose& pose) {
  CameraFrame c;
  c.eye = pose.eye;
  c.forward = Normalize(Sub(pose.target, pose.eye));
  V3 up_hint = {0, 0, 1};
  if (std::fabs(Dot(up_hint, c.forward)) > 0.999) up_hint = {0, 1, 0};
  V3 right = Normalize(Cross(c.forward, up_hint));
  V3 up = Cross(right, c.forward);
  // Roll about forward: right' = cos r right + sin r up, up' = -sin r right + cos r up.
  const double cr = std::cos(pose.roll), sr = std::sin(pose.roll);
  for (int k = 0; k < 3; ++k) {
    c.right[k] = cr * right[k] + sr * up[k];
    c.up[k] = -sr * right[k] + cr * up[k];
  }
  return c;
}

Intrinsics MakeIntrinsics(int width, int height, double fovy) {
  Intrinsics k;
  k.width = width;
  k.height = height;
  k.f = 0.5 * height / std::tan(0.5 * fovy);
  k.cx = 0.5 * width;
  k.cy = 0.5 * height;
  return k;
}

bool ProjectPoint(const CameraFrame& cam, const Intrinsics& k, const std::array<double, 3>& p, double* u,
                  double* v, double* depth) {
  const V3 d = Sub(p, cam.eye);
  const double z = Dot(d, cam.forward);
  *depth = z;
  if (z < kNear) return false;
  *u = k.cx + k.f * Dot(d, cam.right) / z;
  *v = k.cy - k.f * Dot(d, cam.up) / z;
  return true;
}

}  // namespace s2r::render
