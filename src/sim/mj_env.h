// The MuJoCo side of a task's env: what the code outside sim/ needs to render an env, pose its scene or
// drive it with the task's scripted controller, without naming the task. Every registered env implements
// it; sim/env_registry.h builds them by id and the engine (VecEnv) hands them out as MjEnv.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>

#include "render/batch_renderer.h"
#include "render/camera.h"
#include "render/greenscreen.h"
#include "sim/env.h"
#include "sim/mj_handles.h"

namespace s2r::sim {

class MjEnv : public Env {
 public:
  // This env's model copy (load-time randomization differs between envs) and its state.
  virtual const mjModel* model() const = 0;
  virtual const mjData* data() const = 0;
  // The policy camera this step (with its per-step randomization) and this env's lighting.
  virtual const render::CameraPose& camera_pose() const = 0;
  virtual render::Lighting lighting() const = 0;
  // Renders the policy camera with `renderer` (any resolution); applies `greenscreen` if not null.
  //   rgb: [H, W, 3] uint8; seg: [H, W] uint8 body id + 1 (may be null unless greenscreen is given).
  virtual void RenderCamera(const render::BatchRenderer& renderer, const render::Greenscreen* greenscreen,
                            uint8_t* rgb, uint8_t* seg) const = 0;
  // The configured greenscreen at width x height, keeping the robot and the task's objects; null without
  // a photo or in mode none. Throws ConfigError naming the photo's key if it cannot be read.
  virtual std::shared_ptr<const render::Greenscreen> MakeGreenscreen(int width, int height) const = 0;

  // State edits; call Refresh() after them.
  // Resets the robot to a joint state: qpos [robot joints] rad, the controller's targets at qpos, joint
  // velocities qvel [robot joints] rad/s (empty: at rest).
  virtual void SetRobotJoints(std::span<const double> qpos, std::span<const double> qvel = {}) = 0;
  // Puts the task's object flat on the table at (x, y) m, turned by yaw rad about z.
  virtual void PlaceObject(double x, double y, double yaw) = 0;
  // Recomputes kinematics and the task quantities (observation, reward, success) from the current state.
  virtual void Refresh() = 0;
};

// Creates env number `index` of a batch whose random streams derive from `seed`.
using EnvFactory = std::function<std::unique_ptr<MjEnv>(uint64_t seed, int index)>;

}  // namespace s2r::sim
