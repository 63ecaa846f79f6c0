#include "app/render_bench.h"

#include <chrono>
#include <memory>
#include <vector>

#include "core/rng.h"
#include "core/thread_pool.h"
#include "render/batch_renderer.h"
#include "render/mujoco_gl_renderer.h"
#include "sim/env_registry.h"

namespace s2r::app {

namespace {
using Clock = std::chrono::steady_clock;
double Since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }
}  // namespace

RenderBenchResult BenchRender(const std::string& env_id, const sim::EnvConfig& cfg_in, int num_envs,
                              int threads, int resolution, double seconds, uint64_t seed) {
  const std::unique_ptr<sim::EnvConfig> cfg_copy = cfg_in.Clone();
  sim::EnvConfig& cfg = *cfg_copy;
  cfg.obs_mode = sim::ObsMode::kState;
  sim::VecEnvConfig vcfg;
  vcfg.num_envs = num_envs;
  vcfg.num_threads = threads;
  vcfg.seed = seed;
  auto venv = sim::MakeVecEnv(env_id, cfg, vcfg);
  Rng rng(seed);
  std::vector<float> actions(static_cast<size_t>(num_envs * venv->spec().action_dim));
  for (int step = 0; step < 10; ++step) {
    for (auto& a : actions) a = static_cast<float>(rng.Uniform(-1.0, 1.0));
    venv->Step(actions.data());
  }
  std::vector<const sim::MjEnv*> envs;
  for (int i = 0; i < num_envs; ++i) envs.push_back(&venv->env(i));
  const size_t npix = static_cast<size_t>(resolution) * resolution;
  std::vector<uint8_t> rgb(static_cast<size_t>(num_envs) * npix * 3),
      seg(static_cast<size_t>(num_envs) * npix);

  RenderBenchResult r;
  {
    const render::BatchRenderer renderer(envs[0]->model(), resolution, resolution);
    ThreadPool pool(threads);
    int64_t frames = 0;
    const auto t0 = Clock::now();
    do {
      pool.ParallelFor(num_envs, [&](int b, int e) {
        for (int i = b; i < e; ++i)
          envs[static_cast<size_t>(i)]->RenderCamera(renderer, nullptr,
                                                     &rgb[static_cast<size_t>(i) * npix * 3],
                                                     &seg[static_cast<size_t>(i) * npix]);
      });
      frames += num_envs;
    } while (Since(t0) < seconds);
    r.batch_fps = static_cast<double>(frames) / Since(t0);
  }
  render::MujocoGlRenderer gl(envs[0]->model(), resolution, resolution);
  for (int pass = 0; pass < 2; ++pass) {
    int64_t frames = 0;
    const auto t0 = Clock::now();
    do {
      for (int i = 0; i < num_envs && (frames == 0 || Since(t0) < seconds); ++i, ++frames) {
        const auto* e = envs[static_cast<size_t>(i)];
        gl.Render(e->model(), e->data(), e->camera_pose(), resolution, resolution, rgb.data(),
                  pass == 0 ? seg.data() : nullptr);
      }
    } while (Since(t0) < seconds);
    (pass == 0 ? r.gl_fps : r.gl_rgb_fps) = static_cast<double>(frames) / Since(t0);
  }
  return r;
}

}  // namespace s2r::app
