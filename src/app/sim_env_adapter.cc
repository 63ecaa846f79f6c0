#include "app/sim_env_adapter.h"

#include "sim/grasp_cube_env.h"

namespace s2r::app {

VecEnvAdapter::VecEnvAdapter(std::unique_ptr<sim::VecEnv> venv, int threads)
    : venv_(std::move(venv)), pool_(threads) {}

void VecEnvAdapter::RenderViews(int size, uint8_t* out) const {
  auto& renderer = view_renderers_[size];
  auto& first = static_cast<sim::GraspCubeEnv&>(venv_->env(0));
  if (!renderer) renderer = std::make_unique<render::BatchRenderer>(first.model(), size, size);
  render::CameraPose pose;  // camera.h's defaults are the reference's human render camera
  const size_t stride = static_cast<size_t>(size) * size * 3;
  pool_.ParallelFor(num_envs(), [&](int b, int e) {
    for (int i = b; i < e; ++i) {
      const auto& env = static_cast<const sim::GraspCubeEnv&>(venv_->env(i));
      renderer->Render(env.model(), env.data(), pose, env.lighting(), out + static_cast<size_t>(i) * stride,
                       nullptr);
    }
  });
}

}  // namespace s2r::app
