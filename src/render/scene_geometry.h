// The visual geoms of a compiled MuJoCo model tessellated once into triangle meshes in each geom's
// own frame, for the batch renderer. Boxes are unit cubes scaled per env at draw time (the cube's
// size is randomized per env); every other shape is tessellated at the model's size.
#pragma once

#include <mujoco/mujoco.h>

#include <cstdint>
#include <vector>

namespace s2r::render {

struct GeomMesh {
  int geom = -1;                   // model geom id
  int body = -1;                   // model body id (segmentation id = body + 1)
  bool scale_by_size = false;      // boxes: vertices are a unit cube, multiply by geom_size at draw time
  bool closed = true;              // closed surface: back faces can be culled (planes are single-sided too)
  std::vector<float> vertices;     // [V, 3] in the geom frame (m, or unit for boxes)
  std::vector<float> normals;      // [V, 3] unit, geom frame
  std::vector<int32_t> triangles;  // [T, 3] vertex indices, counter-clockwise seen from outside
};

struct SceneGeometry {
  std::vector<GeomMesh> meshes;  // visual geoms only (alpha > 0, groups 0-2)
  int max_vertices = 0;          // the largest mesh, for scratch sizing
  int num_triangles = 0;         // all meshes together
};

// Tessellates every visual geom of `m` (plane, box, sphere, capsule, cylinder, ellipsoid, mesh).
// `segments` sets the resolution of curved shapes (around the axis).
SceneGeometry TessellateScene(const mjModel* m, int segments = 24);

}  // namespace s2r::render
