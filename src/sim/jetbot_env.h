// The Jetbot tasks (settings: sim/jetbot_config.h) on the project's own MJCF (assets/jetbot.xml in
// assets/jetbot_room.xml): a differential-drive robot drives to a red 5 cm block in a walled room.
//   Isaac-Jetbot-Direct-v0: the seed's Isaac Lab task as it was. Robot at (-0.6, 0) facing +x, block at
//     (0.3, 0), physics 60 Hz, policy 30 Hz (decimation 2), the camera refreshed every 0.1 s (the policy
//     sees each frame ~3 times), 150-step episodes, reward exp(1 / d) - 30 on the chassis-to-block
//     distance d, never terminated (the engine truncates at max_episode_steps), no randomization;
//     success (d < success_distance) is reported only.
//   JetbotGoal-v0: the block drawn in front of a jittered robot, the bounded shaped reward below,
//     terminated on success or when the robot reaches a wall or tips over, domain randomization of colours,
//     lighting, camera pose and fov, motor gains and tyre friction (per env, at reconfigure).
// Action (both): the wheels' motor duties [left, right] in [-1, 1], jetbot's set_motors(left, right).
#pragma once

#include <array>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/rng.h"
#include "render/batch_renderer.h"
#include "render/camera.h"
#include "render/greenscreen.h"
#include "sim/env_registry.h"
#include "sim/jetbot_config.h"
#include "sim/mj_env.h"
#include "sim/mj_handles.h"
#include "sim/scripted_controller.h"

namespace s2r::sim {

// Indices into the compiled model, resolved once per model.
struct JetbotIds {
  int chassis_body = -1, chassis_qpos_adr = -1, chassis_dof_adr = -1;
  int block_body = -1, block_geom = -1, block_qpos_adr = -1, block_dof_adr = -1;
  std::array<int, 2> wheel_qpos_adr{}, wheel_dof_adr{}, actuator{};  // [left, right]
  std::vector<int> wheel_geoms;                                      // the collision geoms of both wheels
  int floor_geom = -1;
  std::array<int, 4> wall_geoms{};  // +x, -x, +y, -y
};

// The compiled scene shared (read-only) by every env of a batch: the walls at the configured arena size and
// the motors' nominal gain and velocity feedback from the config.
struct JetbotScene {
  MjModelPtr model;
  JetbotIds ids;
  std::string robot_file;
  // Measured on the robot model as it stands in its file: the chassis origin's height above the floor
  // (the standing height SetRobotJoints keeps), the wheels' radius and the track between their centres.
  double stand_height = 0, wheel_radius = 0, track = 0;   // m
  std::shared_ptr<const render::BatchRenderer> renderer;  // the policy camera at the sensor size
};

// Compiles the room with the configured robot MJCF (empty: assets/jetbot.xml), checks the names the task
// needs (ConfigError naming robot_mjcf_path and the file), sizes the arena and sets the motor model.
std::shared_ptr<const JetbotScene> LoadJetbotScene(const JetbotConfig& cfg);

// The named observation of each mode. state (11): block/x_robot, block/y_robot [m] (the block's centre in
// the chassis frame, x forward, y left), block/distance [m], block/cos_bearing, block/sin_bearing,
// action/left, action/right (the last action), wheel_speed/left, wheel_speed/right (rad/s over
// motor.max_wheel_speed), chassis/forward_vel [m/s], chassis/yaw_rate [rad/s]. rgb (2): action/left,
// action/right, beside the image.
std::vector<std::string> JetbotObsNames(ObsMode mode);
// Info terms (float32 per env): success, distance [m], bearing [rad], out_of_arena (0/1: reached a wall or
// tipped over).
EnvSpec JetbotSpec(const JetbotConfig& cfg);
// The spec and a factory of the config's task (validated here); the scene is compiled once and shared.
EnvMaker MakeJetbot(const JetbotConfig& cfg);

// Direct's reward: exp(1 / d) - 30 with d clamped to >= kJetbotMinRewardDistance (below any distance the
// robot and block can reach, ~0.09 m; keeps the value finite in float32: at most exp(20) - 30 ~ 4.9e8).
inline constexpr double kJetbotMinRewardDistance = 0.05;  // m
double JetbotDirectReward(double distance);
// Goal's shaped reward per policy step, in [-6.01, 10.99]:
//   20 * clamp(d_prev - d, -0.05, 0.05)   progress toward the block [m], at most +-1 per step (full speed
//                                         is ~0.02 m per step)
//   - 0.01                                per-step cost
//   + 10 on success, - 5 on reaching a wall or tipping over (both end the episode)
double JetbotGoalReward(double prev_distance, double distance, bool success, bool out_of_arena);

// Task quantities computed from the current state.
struct JetbotEval {
  double distance = 0;                         // m, chassis origin to block centre (3D, as the seed)
  std::array<double, 2> block_robot = {0, 0};  // m, block centre in the chassis frame (x forward, y left)
  double bearing = 0;                          // rad, atan2(y, x) of block_robot, + to the left
  bool success = false;                        // distance < success_distance
  bool out_of_arena = false;                   // chassis centre within 0.12 m of a wall, or tipped over
};

// Load-time randomization drawn per env (the renderer reads it); the nominal values without it.
struct JetbotVisuals {
  std::array<double, 3> ambient = {0.3, 0.3, 0.3};
  double diffuse = 0.5;
  std::array<double, 3> camera_pos = {0, 0, 0};  // m, chassis frame, with noise
  double camera_pitch = 0;                       // rad
  double fov = 0;                                // rad
  std::array<float, 4> floor_rgba{}, wall_rgba{}, block_rgba{};
};

class JetbotEnv final : public MjEnv {
 public:
  JetbotEnv(std::shared_ptr<const JetbotScene> scene, std::shared_ptr<const JetbotConfig> cfg, uint64_t seed,
            int index);

  void Reset(bool reconfigure) override;
  bool Step(const float* action) override;  // action: [left, right] duty, clamped to [-1, 1]
  void WriteObs(float* obs) const override;
  void WritePrivilegedObs(float* obs) const override;  // the state-mode observation [11]
  void WriteInfo(float* info) const override;
  // The policy's image: the frame taken at the last camera refresh (camera.update_period), rendered once
  // and held between refreshes.
  void RenderObs(uint8_t* image) const override;
  float reward() const override { return static_cast<float>(reward_); }
  bool terminated() const override;
  bool success() const override { return eval_.success; }

  void Refresh() override;
  // The robot's planar pose: qpos = [x m, y m, yaw rad] of the chassis (standing on its wheels), qvel =
  // [vx m/s, vy m/s, yaw rate rad/s] in the world frame (empty: at rest), the wheels turning as they would
  // roll with it. Call Refresh() after.
  void SetRobotJoints(std::span<const double> qpos, std::span<const double> qvel = {}) override;
  // The block flat on the floor at (x, y) m, turned by yaw rad, at rest. Call Refresh() after.
  void PlaceObject(double x, double y, double yaw) override;

  const mjModel* model() const override { return model_.get(); }
  mjData* data() { return data_.get(); }
  const mjData* data() const override { return data_.get(); }
  const JetbotIds& ids() const { return scene_->ids; }
  const JetbotConfig& config() const { return *cfg_; }
  const JetbotEval& eval() const { return eval_; }
  const JetbotVisuals& visuals() const { return visuals_; }
  // The policy camera now: on the chassis at this env's camera pose (config + per-env noise).
  const render::CameraPose& camera_pose() const override { return camera_; }
  render::Lighting lighting() const override;
  // Renders the current state (not the held frame) from camera_pose().
  void RenderCamera(const render::BatchRenderer& renderer, const render::Greenscreen* greenscreen,
                    uint8_t* rgb, uint8_t* seg) const override;
  // None: a greenscreen replaces a fixed camera's background with a photo, which a camera that drives
  // around cannot have. Always null.
  std::shared_ptr<const render::Greenscreen> MakeGreenscreen(int width, int height) const override;

  std::array<double, 3> chassis_pose() const;  // [x m, y m, yaw rad]
  std::array<double, 3> block_pos() const;     // m
  std::array<double, 2> wheel_speeds() const;  // rad/s [left, right]
  double motor_gain(int wheel) const;          // this env's duty gain of wheel 0 (left) or 1 (right)
  double wheel_friction() const;               // this env's tyre friction
  const std::array<float, 2>& last_action() const { return last_action_; }

 private:
  void Reconfigure();
  void Evaluate();
  void UpdateCamera();
  void TakeFrame();  // the camera refresh: keeps the geoms' poses and the camera for RenderObs
  void WriteObsOf(ObsMode mode, float* obs) const;

  std::shared_ptr<const JetbotScene> scene_;
  std::shared_ptr<const JetbotConfig> cfg_;
  MjModelPtr model_;  // per-env copy: colours, motor gains and tyre friction differ between envs
  MjDataPtr data_;
  Rng rng_;         // physics and task draws (poses, motor gains, friction)
  Rng visual_rng_;  // colour, light and camera draws: rendering settings never change the physics stream
  JetbotVisuals visuals_;
  render::CameraPose camera_;
  JetbotEval eval_;
  std::array<float, 2> last_action_ = {0, 0};
  double prev_distance_ = 0;
  double reward_ = 0;
  int camera_period_substeps_ = 0;  // physics steps between camera refreshes (0: every policy step)
  int substeps_since_frame_ = 0;
  // The held frame: the geoms' poses and the camera at the last refresh (only geom_xpos and geom_xmat of
  // frame_data_ are used), and the image rendered from them on the first RenderObs after it.
  MjDataPtr frame_data_;
  render::CameraPose frame_camera_;
  mutable std::vector<uint8_t> frame_image_;
  mutable bool frame_rendered_ = false;
};

// The planar pose [x, y, yaw] of a free body's qpos (position, quaternion w x y z).
std::array<double, 3> PlanarPose(const double* free_qpos);

}  // namespace s2r::sim
