// The learning code's view of a batch of envs: flat buffers the engine fills in place (the app adapts
// sim::VecEnv to it), so rl never includes the simulator. Shapes per call:
//   obs [N, D] float32, image [N, H, W, 3] uint8 (rgb mode), reward [N] float32, flags [N] uint8,
//   final_obs / final_image: the last observation of episodes that just ended (valid where done).
#pragma once

#include <cstdint>

namespace s2r::rl {

class EnvBatch {
 public:
  virtual ~EnvBatch() = default;
  virtual int num_envs() const = 0;
  virtual int obs_dim() const = 0;
  virtual int action_dim() const = 0;
  virtual int image_height() const = 0;  // 0 without images
  virtual int image_width() const = 0;
  virtual int max_episode_steps() const = 0;
  virtual double control_freq() const = 0;  // Hz

  virtual void Reset() = 0;
  virtual void Step(const float* actions) = 0;  // [N, A], values in [-1, 1]

  virtual const float* obs() const = 0;
  virtual const uint8_t* image() const = 0;  // null without images
  virtual const float* final_obs() const = 0;
  virtual const uint8_t* final_image() const = 0;
  virtual const float* reward() const = 0;
  virtual const uint8_t* terminated() const = 0;
  virtual const uint8_t* truncated() const = 0;
  virtual const uint8_t* success() const = 0;

  // The privileged observation (a distillation teacher's) [N, P] float32 of the same step as obs(), or
  // null when the envs were not built with one.
  virtual int privileged_obs_dim() const { return 0; }
  virtual const float* privileged_obs() const { return nullptr; }

  // A third-person view of every env for videos: out [N, size, size, 3] uint8.
  virtual void RenderViews(int size, uint8_t* out) const = 0;
};

}  // namespace s2r::rl
