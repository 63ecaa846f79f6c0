// Measurements behind `sim2real bench render`: the batch renderer beside MuJoCo's own renderer on the
// same env states.
#pragma once

#include <cstdint>
#include <string>

#include "sim/env_config.h"

namespace s2r::app {

struct RenderBenchResult {
  double batch_fps = 0;   // batch renderer, RGB + segmentation, all threads
  double gl_fps = 0;      // MuJoCo's renderer through OSMesa, RGB + segmentation (two passes)
  double gl_rgb_fps = 0;  // MuJoCo's renderer, RGB only
};

// Builds `num_envs` envs of `env_id`, moves them to varied mid-episode states with random actions, then
// renders every env's camera at resolution x resolution with each renderer for about `seconds` each.
RenderBenchResult BenchRender(const std::string& env_id, const sim::EnvConfig& cfg, int num_envs, int threads,
                              int resolution, double seconds, uint64_t seed);

}  // namespace s2r::app
