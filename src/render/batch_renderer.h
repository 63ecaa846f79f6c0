// The CPU batch renderer: draws what one env's camera sees, RGB and per-pixel segmentation, from the
// model's visual geoms (tessellated once) and the env's geom poses after the step. Render() is const
// and thread-safe (scratch buffers are per thread), so the env engine renders its envs in parallel
// straight into its batch buffer. It never needs OpenGL.
//
// Shading: per-env ambient colour plus two white directional lights, toward (1, 1, -1) and straight
// down, Lambert (diffuse) only, no shadows; colours per env and per geom from the env's model copy.
#pragma once

#include <mujoco/mujoco.h>

#include <array>
#include <cstdint>

#include "render/camera.h"
#include "render/scene_geometry.h"

namespace s2r::render {

struct Lighting {
  std::array<double, 3> ambient = {0.3, 0.3, 0.3};  // per env, each channel in [0, 1]
  double diffuse = 0.5;                             // intensity of each directional light
};

class BatchRenderer {
 public:
  // `model` provides the geometry (any per-env copy of it works too); images are width x height.
  BatchRenderer(const mjModel* model, int width, int height);

  int width() const { return width_; }
  int height() const { return height_; }
  const SceneGeometry& geometry() const { return scene_; }

  // Renders the scene of (m, d) from `pose`: m supplies per-env colours and box sizes, d the geom poses.
  //   rgb: [height, width, 3] uint8, row 0 at the top (may be null)
  //   seg: [height, width] uint8, body id + 1 of the geom covering the pixel, 0 for none (may be null)
  void Render(const mjModel* m, const mjData* d, const CameraPose& pose, const Lighting& light, uint8_t* rgb,
              uint8_t* seg) const;

 private:
  SceneGeometry scene_;
  int width_, height_;
};

}  // namespace s2r::render
