#include "app/sim_env_adapter.h"

namespace s2r::app {

VecEnvAdapter::VecEnvAdapter(std::unique_ptr<sim::VecEnv> venv, int threads)
    : venv_(std::move(venv)), pool_(threads) {}

void VecEnvAdapter::RenderViews(int size, uint8_t* out) const {
  const sim::VecEnv& venv = *venv_;
  auto& renderer = view_renderers_[size];
  if (!renderer) renderer = std::make_unique<render::BatchRenderer>(venv.env(0).model(), size, size);
  render::CameraPose pose;  // camera.h's defaults are the reference's human render camera
  const size_t stride = static_cast<size_t>(size) * size * 3;
  pool_.ParallelFor(num_envs(), [&](int b, int e) {
    for (int i = b; i < e; ++i) {
      const sim::MjEnv& env = venv.env(i);
      renderer->Render(env.model(), env.data(), pose, env.lighting(), out + static_cast<size_t>(i) * stride,
                       nullptr);
    }
  });
}

}  // namespace s2r::app
