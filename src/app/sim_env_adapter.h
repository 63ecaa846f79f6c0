// Adapts the simulator's batched engine (sim::VecEnv) to the learning code's rl::EnvBatch.
#pragma once

#include <map>
#include <memory>

#include "core/thread_pool.h"
#include "render/batch_renderer.h"
#include "rl/env_batch.h"
#include "sim/vec_env.h"

namespace s2r::app {

class VecEnvAdapter final : public rl::EnvBatch {
 public:
  VecEnvAdapter(std::unique_ptr<sim::VecEnv> venv, int threads);
  int num_envs() const override { return venv_->num_envs(); }
  int obs_dim() const override { return venv_->spec().obs_dim; }
  int action_dim() const override { return venv_->spec().action_dim; }
  int image_height() const override { return venv_->spec().image_height; }
  int image_width() const override { return venv_->spec().image_width; }
  int max_episode_steps() const override { return venv_->spec().max_episode_steps; }
  double control_freq() const override { return venv_->spec().control_freq; }
  void Reset() override { venv_->Reset(); }
  void Step(const float* actions) override { venv_->Step(actions); }
  const float* obs() const override { return venv_->obs(); }
  const uint8_t* image() const override { return venv_->image(); }
  const float* final_obs() const override { return venv_->final_obs(); }
  const uint8_t* final_image() const override { return venv_->final_image(); }
  const float* reward() const override { return venv_->reward(); }
  const uint8_t* terminated() const override { return venv_->terminated(); }
  const uint8_t* truncated() const override { return venv_->truncated(); }
  const uint8_t* success() const override { return venv_->success(); }
  int privileged_obs_dim() const override {
    return static_cast<int>(venv_->spec().privileged_obs_names.size());
  }
  const float* privileged_obs() const override { return venv_->privileged_obs(); }
  // The reference's human render camera: eye (0.5, 0.3, 0.35), target (0.3, 0, 0.1), fov 52 deg.
  void RenderViews(int size, uint8_t* out) const override;

  sim::VecEnv& venv() { return *venv_; }

 private:
  std::unique_ptr<sim::VecEnv> venv_;
  mutable ThreadPool pool_;
  mutable std::map<int, std::unique_ptr<render::BatchRenderer>> view_renderers_;  // by size
};

}  // namespace s2r::app
