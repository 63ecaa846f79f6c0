// MuJoCo's own OpenGL renderer (mjr_*) in an offscreen OSMesa (software GL) context: the reference the
// batch renderer is tested against and the baseline its benchmark beats. Never used by training or
// evaluation.
#pragma once

#include <mujoco/mujoco.h>

#include <cstdint>
#include <vector>

#include "render/camera.h"

struct osmesa_context;  // GL/osmesa.h's OSMesaContext, kept out of this header

namespace s2r::render {

// Not thread-safe: one thread at a time per instance. Each call binds the instance's OSMesa context to the
// calling thread and unbinds it before returning (no GL context is left current), so instances may share a
// thread or move between threads, and instances on different threads render concurrently (Mesa llvmpipe).
// The camera is exactly camera.h's: the pose's eye, forward and up (after roll), vertical fovy, square
// pixels, near kNear and far kFar (metres); "infinite" planes are drawn ~1.05 kFar wide. Shadows,
// reflections, skybox (background is black), fog, haze and multisampling are off; lights, headlight and
// materials come from the model passed to Render. Only model geoms of groups 0-2 are drawn (no sites or
// other decorations), as in the batch renderer.
class MujocoGlRenderer {
 public:
  // Creates the OSMesa context and MuJoCo's GPU-side context for model `m` with an offscreen buffer of
  // up to max_width x max_height (no multisampling). Throws s2r::IoError if OSMesa/GL cannot start.
  MujocoGlRenderer(const mjModel* m, int max_width, int max_height);
  ~MujocoGlRenderer();
  MujocoGlRenderer(const MujocoGlRenderer&) = delete;
  MujocoGlRenderer& operator=(const MujocoGlRenderer&) = delete;

  // Renders (m, d) as seen from `pose` at width x height (at most the maximum). `m` may be another
  // model than the constructor's (per-env colours, sizes) but with the same geoms, meshes and textures.
  // Neither m nor d is modified (d is copied into a scratch mjData).
  //   rgb: [height, width, 3] uint8, row 0 at the top; may be null.
  //   seg: [height, width] uint8, m->geom_bodyid[g] + 1 of the geom g covering the pixel, 0 where no
  //        geom is seen (background); may be null.
  void Render(const mjModel* m, const mjData* d, const CameraPose& pose, int width, int height, uint8_t* rgb,
              uint8_t* seg);

  // Pixels of the last segmentation pass whose colour decoded to no drawn geom (0 unless GL blends or
  // lights the id colours).
  int invalid_seg_pixels() const { return invalid_seg_pixels_; }

 private:
  void MakeCurrent();  // binds ctx_ to the calling thread
  void Release();      // unbinds: no instance stays current between calls

  osmesa_context* ctx_ = nullptr;
  std::vector<uint8_t> window_;  // OSMesa's small default framebuffer (MuJoCo draws into its FBO)
  int max_width_, max_height_;
  int ngeom_, nmesh_, nbody_;
  mjData* scratch_ = nullptr;
  mjvScene scn_;
  mjrContext con_;
  mjvOption opt_;
  std::vector<uint8_t> pixels_;     // bottom-up RGB from mjr_readPixels
  std::vector<int16_t> seg_label_;  // segid + 1 -> body id + 1 (0: not a model geom, -1: unused)
  int invalid_seg_pixels_ = 0;
};

}  // namespace s2r::render
