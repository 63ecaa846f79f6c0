#include "render/scene_geometry.h"

#include <algorithm>
#include <cmath>

namespace s2r::render {

namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr float kInfinitePlaneHalfSize =
    100.0f;  // m (the far plane), what a plane of size 0 ("infinite") is drawn as

class Builder {
 public:
  explicit Builder(GeomMesh* mesh) : m_(mesh) {}
  int Vertex(double x, double y, double z, double nx, double ny, double nz) {
    const double n = std::sqrt(nx * nx + ny * ny + nz * nz);
    m_->vertices.insert(m_->vertices.end(), {float(x), float(y), float(z)});
    m_->normals.insert(m_->normals.end(), {float(nx / n), float(ny / n), float(nz / n)});
    return static_cast<int>(m_->vertices.size() / 3 - 1);
  }
  void Triangle(int a, int b, int c) { m_->triangles.insert(m_->triangles.end(), {a, b, c}); }
  void Quad(int a, int b, int c, int d) {  // counter-clockwise a, b, c, d
    Triangle(a, b, c);
    Triangle(a, c, d);
  }

 private:
  GeomMesh* m_;
};

// Box of half sizes (sx, sy, sz): 24 vertices so every face has its own normal (flat shading).
void AddBox(Builder& b, double sx, double sy, double sz) {
  for (int axis = 0; axis < 3; ++axis) {
    for (int sign = -1; sign <= 1; sign += 2) {
      const int u = (axis + 1) % 3, v = (axis + 2) % 3;
      double n[3] = {0, 0, 0};
      n[axis] = sign;
      const double s[3] = {sx, sy, sz};
      int idx[4];
      const double corners[4][2] = {{-1, -1}, {1, -1}, {1, 1}, {-1, 1}};
      for (int k = 0; k < 4; ++k) {
        double p[3];
        p[axis] = sign * s[axis];
        p[u] = corners[k][0] * s[u];
        p[v] = corners[k][1] * s[v];
        idx[k] = b.Vertex(p[0], p[1], p[2], n[0], n[1], n[2]);
      }
      // (u, v, axis) is right-handed: counter-clockwise around +axis; flip for the -axis face.
      if (sign > 0) {
        b.Quad(idx[0], idx[1], idx[2], idx[3]);
      } else {
        b.Quad(idx[0], idx[3], idx[2], idx[1]);
      }
    }
  }
}

// Ellipsoid with radii (rx, ry, rz) as a UV sphere; normals of the ellipsoid surface.
void AddEllipsoid(Builder& b, double rx, double ry, double rz, int seg) {
  const int rings = std::max(4, seg / 2);
  std::vector<int> grid;
  for (int i = 0; i <= rings; ++i) {
    const double th = kPi * i / rings;  // from +z to -z
    for (int j = 0; j < seg; ++j) {
      const double ph = 2 * kPi * j / seg;
      const double x = std::sin(th) * std::cos(ph), y = std::sin(th) * std::sin(ph), z = std::cos(th);
      grid.push_back(b.Vertex(rx * x, ry * y, rz * z, x / rx, y / ry, z / rz));
    }
  }
  for (int i = 0; i < rings; ++i)
    for (int j = 0; j < seg; ++j) {
      const int j1 = (j + 1) % seg;
      b.Quad(grid[i * seg + j], grid[(i + 1) * seg + j], grid[(i + 1) * seg + j1], grid[i * seg + j1]);
    }
}

// Capsule (caps = true) or cylinder along z: radius r, half length h.
void AddRound(Builder& b, double r, double h, int seg, bool caps) {
  const int cap_rings = caps ? std::max(2, seg / 4) : 0;
  // Rings from the top pole to the bottom pole: top cap, the cylinder, bottom cap.
  std::vector<std::vector<int>> rings;
  auto ring = [&](double z_center, double th) {  // th: polar angle on the cap sphere
    std::vector<int> ids;
    for (int j = 0; j < seg; ++j) {
      const double ph = 2 * kPi * j / seg;
      const double x = std::sin(th) * std::cos(ph), y = std::sin(th) * std::sin(ph), z = std::cos(th);
      ids.push_back(b.Vertex(r * x, r * y, z_center + r * z, x, y, z));
    }
    rings.push_back(ids);
  };
  if (caps) {
    for (int i = 1; i <= cap_rings; ++i) ring(h, 0.5 * kPi * i / cap_rings);
    for (int i = 0; i < cap_rings; ++i) ring(-h, 0.5 * kPi + 0.5 * kPi * i / cap_rings);
    const int top = b.Vertex(0, 0, h + r, 0, 0, 1), bottom = b.Vertex(0, 0, -h - r, 0, 0, -1);
    for (int j = 0; j < seg; ++j) {
      const int j1 = (j + 1) % seg;
      b.Triangle(top, rings.front()[j], rings.front()[j1]);
      b.Triangle(bottom, rings.back()[j1], rings.back()[j]);
    }
  } else {
    ring(h, 0.5 * kPi);
    ring(-h, 0.5 * kPi);
    // Flat caps with their own normals.
    for (int sign = 1; sign >= -1; sign -= 2) {
      const int c = b.Vertex(0, 0, sign * h, 0, 0, sign);
      std::vector<int> ids;
      for (int j = 0; j < seg; ++j) {
        const double ph = 2 * kPi * j / seg;
        ids.push_back(b.Vertex(r * std::cos(ph), r * std::sin(ph), sign * h, 0, 0, sign));
      }
      for (int j = 0; j < seg; ++j) {
        const int j1 = (j + 1) % seg;
        if (sign > 0) {
          b.Triangle(c, ids[j], ids[j1]);
        } else {
          b.Triangle(c, ids[j1], ids[j]);
        }
      }
    }
  }
  for (size_t i = 0; i + 1 < rings.size(); ++i)
    for (int j = 0; j < seg; ++j) {
      const int j1 = (j + 1) % seg;
      b.Quad(rings[i][j], rings[i + 1][j], rings[i + 1][j1], rings[i][j1]);
    }
}

void AddPlane(Builder& b, double sx, double sy) {
  const double x = sx > 0 ? sx : kInfinitePlaneHalfSize, y = sy > 0 ? sy : kInfinitePlaneHalfSize;
  const int a = b.Vertex(-x, -y, 0, 0, 0, 1), c1 = b.Vertex(x, -y, 0, 0, 0, 1);
  const int c2 = b.Vertex(x, y, 0, 0, 0, 1), d = b.Vertex(-x, y, 0, 0, 0, 1);
  b.Quad(a, c1, c2, d);
}

// A mesh asset, flat-shaded: every face gets its own three vertices and the face normal.
void AddMesh(Builder& b, const mjModel* m, int mesh) {
  const float* vert = m->mesh_vert + 3 * m->mesh_vertadr[mesh];
  const int* face = m->mesh_face + 3 * m->mesh_faceadr[mesh];
  for (int f = 0; f < m->mesh_facenum[mesh]; ++f) {
    const float* p[3] = {vert + 3 * face[3 * f], vert + 3 * face[3 * f + 1], vert + 3 * face[3 * f + 2]};
    const double e1[3] = {p[1][0] - p[0][0], p[1][1] - p[0][1], p[1][2] - p[0][2]};
    const double e2[3] = {p[2][0] - p[0][0], p[2][1] - p[0][1], p[2][2] - p[0][2]};
    double n[3] = {e1[1] * e2[2] - e1[2] * e2[1], e1[2] * e2[0] - e1[0] * e2[2],
                   e1[0] * e2[1] - e1[1] * e2[0]};
    if (n[0] == 0 && n[1] == 0 && n[2] == 0) continue;
    int ids[3];
    for (int k = 0; k < 3; ++k) ids[k] = b.Vertex(p[k][0], p[k][1], p[k][2], n[0], n[1], n[2]);
    b.Triangle(ids[0], ids[1], ids[2]);
  }
}

}  // namespace

SceneGeometry TessellateScene(const mjModel* m, int segments) {
  SceneGeometry scene;
  for (int g = 0; g < m->ngeom; ++g) {
    const int matid = m->geom_matid[g];
    const float alpha = matid >= 0 ? m->mat_rgba[4 * matid + 3] : m->geom_rgba[4 * g + 3];
    if (alpha <= 0 || m->geom_group[g] > 2) continue;
    GeomMesh mesh;
    mesh.geom = g;
    mesh.body = m->geom_bodyid[g];
    Builder b(&mesh);
    const mjtNum* s = m->geom_size + 3 * g;
    switch (m->geom_type[g]) {
      case mjGEOM_PLANE:
        AddPlane(b, s[0], s[1]);
        break;
      case mjGEOM_BOX:
        AddBox(b, 1, 1, 1);
        mesh.scale_by_size = true;
        break;
      case mjGEOM_SPHERE:
        AddEllipsoid(b, s[0], s[0], s[0], segments);
        break;
      case mjGEOM_ELLIPSOID:
        AddEllipsoid(b, s[0], s[1], s[2], segments);
        break;
      case mjGEOM_CAPSULE:
        AddRound(b, s[0], s[1], segments, true);
        break;
      case mjGEOM_CYLINDER:
        AddRound(b, s[0], s[1], segments, false);
        break;
      case mjGEOM_MESH:
        AddMesh(b, m, m->geom_dataid[g]);
        mesh.closed = false;  // user meshes need not be closed or consistently wound
        break;
      default:
        continue;  // height fields and others are not drawn
    }
    scene.max_vertices = std::max(scene.max_vertices, static_cast<int>(mesh.vertices.size() / 3));
    scene.num_triangles += static_cast<int>(mesh.triangles.size() / 3);
    scene.meshes.push_back(std::move(mesh));
  }
  return scene;
}

}  // namespace s2r::render
