#include "render/batch_renderer.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

namespace s2r::render {

namespace {

constexpr int kMaxClipVerts = 4;  // a triangle clipped by the near plane has at most 4 corners

struct Scratch {
  std::vector<float> zinv;   // [H * W] 1 / depth of the nearest surface so far
  std::vector<uint8_t> rgb;  // [H * W * 3] when the caller wants no colour (depth still needs a target)
  std::vector<float> cam;    // [V * 3] vertices in camera coordinates (x right, y up, z forward)
  std::vector<float> shade;  // [V * 3] lit vertex colours in [0, 255]
};

Scratch& ThreadScratch() {
  thread_local Scratch s;
  return s;
}

// A vertex ready for rasterization: screen position, 1 / depth and colour.
struct ScreenVertex {
  float x, y, zinv;
  float r, g, b;
};

// Draws one screen-space triangle with the top-left fill rule, a 1/z depth test and perspective-correct
// colour (a single colour when the three corners agree, as on flat-shaded faces), writing `segid`.
void RasterTriangle(const ScreenVertex& a, const ScreenVertex& b, const ScreenVertex& c, int width,
                    int height, uint8_t segid, float* zbuf, uint8_t* color, uint8_t* seg) {
  const float area = (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x);
  if (area == 0.0f) return;
  // Screen y grows downward, so a counter-clockwise triangle in camera space has negative area here;
  // normalize so the edge functions are positive inside.
  const ScreenVertex* v0 = &a;
  const ScreenVertex* v1 = &b;
  const ScreenVertex* v2 = &c;
  float inv_area = 1.0f / area;
  if (area < 0) {
    std::swap(v1, v2);
    inv_area = -inv_area;
  }
  const int x0 = std::max(0, static_cast<int>(std::floor(std::min({v0->x, v1->x, v2->x}))));
  const int x1 = std::min(width - 1, static_cast<int>(std::ceil(std::max({v0->x, v1->x, v2->x}))));
  const int y0 = std::max(0, static_cast<int>(std::floor(std::min({v0->y, v1->y, v2->y}))));
  const int y1 = std::min(height - 1, static_cast<int>(std::ceil(std::max({v0->y, v1->y, v2->y}))));
  if (x0 > x1 || y0 > y1) return;

  // Edge i is opposite vertex i: E(p) = (p - start) x (end - start) >= 0 inside.
  struct Edge {
    float a, b, c;  // E(x, y) = a x + b y + c
    bool top_left;
  };
  auto make_edge = [](const ScreenVertex* p, const ScreenVertex* q) {
    Edge e;
    e.a = p->y - q->y;
    e.b = q->x - p->x;
    e.c = p->x * q->y - p->y * q->x;
    // Top edge (horizontal, going left in this orientation) or left edge: owns its pixels.
    e.top_left = (e.a > 0) || (e.a == 0 && e.b < 0);
    return e;
  };
  const Edge e0 = make_edge(v1, v2), e1 = make_edge(v2, v0), e2 = make_edge(v0, v1);
  const float bias0 = e0.top_left ? 0.0f : -1e-7f, bias1 = e1.top_left ? 0.0f : -1e-7f,
              bias2 = e2.top_left ? 0.0f : -1e-7f;

  // Perspective-correct attributes: interpolate zinv and colour * zinv linearly in screen space.
  const float z0 = v0->zinv, z1 = v1->zinv, z2 = v2->zinv;
  const float r0 = v0->r * z0, r1 = v1->r * z1, r2 = v2->r * z2;
  const float g0 = v0->g * z0, g1 = v1->g * z1, g2 = v2->g * z2;
  const float c0 = v0->b * z0, c1 = v1->b * z1, c2 = v2->b * z2;
  const bool flat = v0->r == v1->r && v0->r == v2->r && v0->g == v1->g && v0->g == v2->g && v0->b == v1->b &&
                    v0->b == v2->b;
  const uint8_t flat_rgb[3] = {static_cast<uint8_t>(v0->r + 0.5f), static_cast<uint8_t>(v0->g + 0.5f),
                               static_cast<uint8_t>(v0->b + 0.5f)};

  // The columns of a row where an edge function can be >= 0, widened by a pixel each side: the exact
  // per-pixel test below still decides, this only skips pixels that are surely outside.
  auto clamp_span = [](const Edge& e, float py, float* lo, float* hi) {
    const float rest = e.b * py + e.c;  // E = a (x + 0.5) + rest
    if (e.a > 0) {
      *lo = std::max(*lo, -rest / e.a - 0.5f - 1.0f);
    } else if (e.a < 0) {
      *hi = std::min(*hi, -rest / e.a - 0.5f + 1.0f);
    } else if (rest < -1e-3f) {
      *hi = -1;  // a horizontal edge with the whole row outside
    }
  };
  for (int y = y0; y <= y1; ++y) {
    const float py = static_cast<float>(y) + 0.5f;
    float lo = static_cast<float>(x0), hi = static_cast<float>(x1);
    clamp_span(e0, py, &lo, &hi);
    clamp_span(e1, py, &lo, &hi);
    clamp_span(e2, py, &lo, &hi);
    const int xs = std::max(x0, static_cast<int>(std::floor(lo)));
    const int xe = std::min(x1, static_cast<int>(std::ceil(hi)));
    if (xs > xe) continue;
    const float px0 = static_cast<float>(xs) + 0.5f;
    float w0 = e0.a * px0 + e0.b * py + e0.c;
    float w1 = e1.a * px0 + e1.b * py + e1.c;
    float w2 = e2.a * px0 + e2.b * py + e2.c;
    const int row = y * width;
    for (int x = xs; x <= xe; ++x, w0 += e0.a, w1 += e1.a, w2 += e2.a) {
      if (w0 + bias0 < 0 || w1 + bias1 < 0 || w2 + bias2 < 0) continue;
      const float l0 = w0 * inv_area, l1 = w1 * inv_area, l2 = w2 * inv_area;
      const float zi = l0 * z0 + l1 * z1 + l2 * z2;
      const int idx = row + x;
      if (zi <= zbuf[idx]) continue;
      zbuf[idx] = zi;
      uint8_t* out = color + 3 * idx;
      if (flat) {
        out[0] = flat_rgb[0], out[1] = flat_rgb[1], out[2] = flat_rgb[2];
      } else {
        const float inv = 1.0f / zi;
        out[0] = static_cast<uint8_t>((l0 * r0 + l1 * r1 + l2 * r2) * inv + 0.5f);
        out[1] = static_cast<uint8_t>((l0 * g0 + l1 * g1 + l2 * g2) * inv + 0.5f);
        out[2] = static_cast<uint8_t>((l0 * c0 + l1 * c1 + l2 * c2) * inv + 0.5f);
      }
      if (seg) seg[idx] = segid;
    }
  }
}

}  // namespace

BatchRenderer::BatchRenderer(const mjModel* model, int width, int height)
    : scene_(TessellateScene(model)), width_(width), height_(height) {}

void BatchRenderer::Render(const mjModel* m, const mjData* d, const CameraPose& pose, const Lighting& light,
                           uint8_t* rgb, uint8_t* seg) const {
  const int w = width_, h = height_, npix = w * h;
  Scratch& s = ThreadScratch();
  s.zinv.assign(static_cast<size_t>(npix), 1.0f / static_cast<float>(kFar));
  if (!rgb) {
    s.rgb.resize(static_cast<size_t>(npix) * 3);
    rgb = s.rgb.data();
  }
  std::memset(rgb, 0, static_cast<size_t>(npix) * 3);  // black where nothing is seen
  if (s.cam.size() < static_cast<size_t>(scene_.max_vertices) * 3) {
    s.cam.resize(static_cast<size_t>(scene_.max_vertices) * 3);
    s.shade.resize(static_cast<size_t>(scene_.max_vertices) * 3);
  }
  if (seg) std::memset(seg, 0, static_cast<size_t>(npix));

  const CameraFrame cam = MakeCameraFrame(pose);
  const Intrinsics k = MakeIntrinsics(w, h, pose.fovy);
  const double tan_x = (0.5 * w) / k.f, tan_y = (0.5 * h) / k.f;
  // Directions toward the two lights (world), for Lambert's n . l.
  const double inv3 = 1.0 / std::sqrt(3.0);
  const double to_light[2][3] = {{-inv3, -inv3, inv3}, {0, 0, 1}};

  for (const GeomMesh& mesh : scene_.meshes) {
    const int g = mesh.geom;
    const double* xpos = d->geom_xpos + 3 * g;
    const double* xmat = d->geom_xmat + 9 * g;  // row-major: world = xmat * local
    // Frustum culling with the geom's bounding sphere (planes are never culled).
    const double rel[3] = {xpos[0] - cam.eye[0], xpos[1] - cam.eye[1], xpos[2] - cam.eye[2]};
    const double cx = rel[0] * cam.right[0] + rel[1] * cam.right[1] + rel[2] * cam.right[2];
    const double cy = rel[0] * cam.up[0] + rel[1] * cam.up[1] + rel[2] * cam.up[2];
    const double cz = rel[0] * cam.forward[0] + rel[1] * cam.forward[1] + rel[2] * cam.forward[2];
    if (m->geom_type[g] != mjGEOM_PLANE) {
      const double rb = m->geom_rbound[g];
      if (cz + rb < kNear || cz - rb > kFar) continue;
      if (std::fabs(cx) - rb * std::sqrt(1 + tan_x * tan_x) > tan_x * cz) continue;
      if (std::fabs(cy) - rb * std::sqrt(1 + tan_y * tan_y) > tan_y * cz) continue;
    }
    // Local -> camera: R = Rcam * xmat, scaled per axis for boxes.
    double scale[3] = {1, 1, 1};
    if (mesh.scale_by_size)
      for (int a = 0; a < 3; ++a) scale[a] = m->geom_size[3 * g + a];
    double R[3][3];
    const std::array<double, 3>* axes[3] = {&cam.right, &cam.up, &cam.forward};
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 3; ++c) {
        const auto& ax = *axes[r];
        R[r][c] = (ax[0] * xmat[c] + ax[1] * xmat[3 + c] + ax[2] * xmat[6 + c]) * scale[c];
      }
    // Colour of this geom in this env, and the lit colour of every vertex.
    const int matid = m->geom_matid[g];
    const float* rgba = matid >= 0 ? m->mat_rgba + 4 * matid : m->geom_rgba + 4 * g;
    const size_t nv = mesh.vertices.size() / 3;
    for (size_t v = 0; v < nv; ++v) {
      const float* p = &mesh.vertices[3 * v];
      for (int r = 0; r < 3; ++r)
        s.cam[3 * v + r] = static_cast<float>(R[r][0] * p[0] + R[r][1] * p[1] + R[r][2] * p[2] +
                                              (r == 0   ? cx
                                               : r == 1 ? cy
                                                        : cz));
      const float* n = &mesh.normals[3 * v];
      double nw[3];
      for (int r = 0; r < 3; ++r)
        nw[r] = xmat[3 * r] * n[0] + xmat[3 * r + 1] * n[1] + xmat[3 * r + 2] * n[2];
      double diffuse = 0;
      for (const auto& l : to_light) diffuse += std::max(0.0, nw[0] * l[0] + nw[1] * l[1] + nw[2] * l[2]);
      for (int c = 0; c < 3; ++c)
        s.shade[3 * v + c] =
            static_cast<float>(255.0 * std::min(1.0, rgba[c] * (light.ambient[c] + light.diffuse * diffuse)));
    }
    const uint8_t segid = static_cast<uint8_t>(mesh.body + 1);
    const size_t nt = mesh.triangles.size() / 3;
    for (size_t t = 0; t < nt; ++t) {
      const int32_t* tri = &mesh.triangles[3 * t];
      const float* p[3] = {&s.cam[3 * tri[0]], &s.cam[3 * tri[1]], &s.cam[3 * tri[2]]};
      // Back faces of closed surfaces: the camera sees the outside only. (right, up, forward) is a
      // left-handed basis, so this cross product is minus the outward normal: p0 . nrm <= 0 faces away.
      if (mesh.closed) {
        const float e1[3] = {p[1][0] - p[0][0], p[1][1] - p[0][1], p[1][2] - p[0][2]};
        const float e2[3] = {p[2][0] - p[0][0], p[2][1] - p[0][1], p[2][2] - p[0][2]};
        const float nrm[3] = {e1[1] * e2[2] - e1[2] * e2[1], e1[2] * e2[0] - e1[0] * e2[2],
                              e1[0] * e2[1] - e1[1] * e2[0]};
        if (p[0][0] * nrm[0] + p[0][1] * nrm[1] + p[0][2] * nrm[2] <= 0) continue;
      }
      if (p[0][2] < kNear && p[1][2] < kNear && p[2][2] < kNear) continue;
      if (p[0][2] > kFar && p[1][2] > kFar && p[2][2] > kFar) continue;
      // Clip against the near plane (Sutherland-Hodgman on z = near), then project.
      ScreenVertex poly[kMaxClipVerts];
      int count = 0;
      auto emit = [&](const float* q, const float* col) {
        const float zi = 1.0f / q[2];
        poly[count++] = {static_cast<float>(k.cx + k.f * q[0] * zi),
                         static_cast<float>(k.cy - k.f * q[1] * zi),
                         zi,
                         col[0],
                         col[1],
                         col[2]};
      };
      for (int e = 0; e < 3; ++e) {
        const float* a = p[e];
        const float* b = p[(e + 1) % 3];
        const float* ca = &s.shade[3 * tri[e]];
        const float* cb = &s.shade[3 * tri[(e + 1) % 3]];
        const bool ina = a[2] >= kNear, inb = b[2] >= kNear;
        if (ina) emit(a, ca);
        if (ina != inb) {
          const float t_cut = (static_cast<float>(kNear) - a[2]) / (b[2] - a[2]);
          float q[3], c[3];
          for (int r = 0; r < 3; ++r) {
            q[r] = a[r] + t_cut * (b[r] - a[r]);
            c[r] = ca[r] + t_cut * (cb[r] - ca[r]);
          }
          q[2] = static_cast<float>(kNear);
          emit(q, c);
        }
      }
      for (int f = 1; f + 1 < count; ++f)
        RasterTriangle(poly[0], poly[f], poly[f + 1], w, h, segid, s.zinv.data(), rgb, seg);
    }
  }
}

}  // namespace s2r::render
