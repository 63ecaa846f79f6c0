// The MuJoCo twin behind `sim2real virtual-robot --robot jetbot`: one JetbotEnv (sim/jetbot_env.h) whose
// wheels are driven by the duties a motor board's outputs decode to (hw::Pca9685Model::Motor, the inverse
// of hw::JetbotMotors' writes), stepped at the task's control rate (kJetbotControlFreq = 30 Hz, two 1/60 s
// physics steps each, the same DC-motor model the policy was trained on) to keep sim time with a clock the
// caller passes in: the virtual robot's real-time thread passes the wall clock, tests their own. Its camera
// is the env's policy camera on the chassis, rendered from a snapshot at any size. The robot stands where
// the task's reset put it (the env config's robot_start; no pose noise or domain randomization unless the
// config asks): one fixed "real world". Reports odometry relative to that start.
// Thread-safe: every method takes the twin's lock (rendering only for the snapshot copy).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>

#include "media/image.h"
#include "render/batch_renderer.h"
#include "sim/jetbot_config.h"
#include "sim/jetbot_env.h"
#include "sim/mj_handles.h"

namespace s2r::deploy {

// The chassis's motion since the start, in the start pose's frame (x forward, y left).
struct JetbotOdometry {
  double x = 0, y = 0;  // m
  double yaw = 0;       // rad turned, counter-clockwise +, unwrapped (two turns in place = 4 pi)
  double distance = 0;  // m travelled by the chassis origin in the plane (the path's length)
};

// The scene of a virtual Jetbot: JetbotGoal-v0's defaults (the block drawn in front of the robot by the
// seed) with no start-pose noise and no domain randomization.
sim::JetbotConfig DefaultJetbotTwinConfig();

struct JetbotTwinOptions {
  sim::JetbotConfig env_config = DefaultJetbotTwinConfig();  // obs_mode is set to state (no held frame)
  uint64_t seed = 0;                                         // the env's draws (block, noise if configured)
  double max_catch_up_s = 0.2;  // s; AdvanceTo skips a lag beyond this rather than race through it
};

class JetbotTwin {
 public:
  // Builds the env (ConfigError for a bad config) and resets it: the robot at its start, at rest.
  explicit JetbotTwin(JetbotTwinOptions options);

  // The wheels' duties from the next control step on: jetbot's set_motors values [left, right], clamped
  // to [-1, 1] (non-finite -> 0).
  void SetDuties(double left, double right);
  std::array<double, 2> duties() const;
  // Control steps with the current duties until the sim time reaches `t_s` (s since the twin was built,
  // on the caller's clock). A lag over max_catch_up_s is dropped (counted in skipped_s()). Returns the
  // steps taken.
  int AdvanceTo(double t_s);
  // `n` control steps now, whatever the clock.
  void Step(int n);

  JetbotOdometry odometry() const;
  std::array<double, 3> pose() const;  // [x m, y m, yaw rad] in the world
  double sim_time() const;             // s (control steps * 1/30)
  double skipped_s() const;            // s of clock the twin did not simulate (stalls)
  int physics_resets() const;          // diverged physics, reset to the start (never expected)

  // The policy camera on the chassis now (the env's camera pose, lighting and colours), at the renderer's
  // size, [h, w, 3] uint8 RGB.
  media::Image Render(const render::BatchRenderer& renderer) const;
  std::unique_ptr<render::BatchRenderer> MakeRenderer(int width, int height) const;
  const sim::JetbotConfig& env_config() const { return options_.env_config; }

 private:
  void StepLocked(int n);

  JetbotTwinOptions options_;
  std::shared_ptr<const sim::JetbotScene> scene_;
  std::unique_ptr<sim::JetbotEnv> env_;
  mutable std::mutex mu_;
  std::array<float, 2> duties_ = {0, 0};
  std::array<double, 3> start_{}, last_{};  // poses [x, y, yaw]
  JetbotOdometry odometry_;
  int steps_ = 0;
  double skipped_s_ = 0;
  int physics_resets_ = 0;
  mutable std::mutex render_mu_;
  sim::MjDataPtr snapshot_;  // guarded by render_mu_
};

}  // namespace s2r::deploy
