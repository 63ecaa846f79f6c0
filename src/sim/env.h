// The interface every task implements for the batched engine (VecEnv): one instance is one
// simulated env with its own state and random stream. The engine owns the batch buffers; a task
// only resets, steps and writes its observation and info terms into the slots it is given.
// (The MuJoCo side every registered task adds: sim/mj_env.h.)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace s2r::sim {

struct EnvSpec {
  std::string id;                   // e.g. "SO100GraspCube-v1"
  int obs_dim = 0;                  // float32 values per env
  int action_dim = 0;               // float32 values per env
  std::vector<double> action_low;   // [action_dim]
  std::vector<double> action_high;  // [action_dim]
  int max_episode_steps = 0;
  double control_freq = 0;              // Hz
  std::vector<std::string> obs_names;   // [obs_dim] e.g. "qpos/shoulder_pan"
  std::vector<std::string> info_names;  // float32 info terms per env, e.g. "is_grasped"
  int image_height = 0;                 // > 0: the env also observes an image [H, W, 3] uint8
  int image_width = 0;
  // A second, privileged observation beside obs (a distillation teacher's full state while the student sees
  // the image and obs): [privileged_obs_names.size()] float32 per env; empty when not asked for.
  std::vector<std::string> privileged_obs_names;
};

class Env {
 public:
  virtual ~Env() = default;
  // Starts a new episode. reconfigure: also re-draw the load-time randomization (cube size, ...).
  virtual void Reset(bool reconfigure) = 0;
  // One control step. Returns false if the simulation diverged (NaN or MuJoCo instability warning);
  // the engine then resets this env.
  virtual bool Step(const float* action) = 0;     // action: [action_dim]
  virtual void WriteObs(float* obs) const = 0;    // obs: [obs_dim]
  virtual void WriteInfo(float* info) const = 0;  // info: [info_names.size()]
  // The image observation, for specs with an image: [image_height, image_width, 3] uint8.
  virtual void RenderObs(uint8_t* image) const { (void)image; }
  // The privileged observation, for specs that have one: [privileged_obs_names.size()].
  virtual void WritePrivilegedObs(float* obs) const { (void)obs; }
  virtual float reward() const = 0;
  virtual bool terminated() const = 0;
  virtual bool success() const = 0;
};

}  // namespace s2r::sim
