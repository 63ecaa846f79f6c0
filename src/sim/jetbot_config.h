// Settings of the Jetbot tasks (sim/jetbot_env.h): Isaac-Jetbot-Direct-v0, the seed's Isaac Lab task as it
// was (drive to a red block with a fixed start, reward exp(1/d) - 30, no randomization), and JetbotGoal-v0,
// the same robot and room with the block drawn in front of a jittered robot, a bounded shaped reward and
// domain randomization. The env_config.json keys are named in the comments ("key": {"sub_key"}); the
// task is not a key: the registry sets it (and the task's defaults, JetbotDefaults) from the env id.
// app/config_load.cc is the only place that turns JSON into this struct; Validate() checks ranges.
// MuJoCo-free.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "sim/env_config.h"

namespace s2r::sim {

inline constexpr const char* kJetbotDirectId = "Isaac-Jetbot-Direct-v0";
inline constexpr const char* kJetbotGoalId = "JetbotGoal-v0";

enum class JetbotTask { kDirect, kGoal };

// "motor": the wheels' DC motor model. Action d in [-1, 1] (jetbot's set_motors value, the PWM duty);
// wheel torque = stall_torque * (gain * d - qvel / max_wheel_speed) [N m], qvel the wheel's speed in rad/s,
// gain 1 without randomization. The robot MJCF adds the gearbox's friction (assets/jetbot.xml: 0.01 N m,
// so full duty reaches ~18.7 rad/s, 0.56 m/s, without load).
struct JetbotMotor {
  double max_wheel_speed = 20.0;  // rad/s, no-load wheel speed at full duty ("max_wheel_speed")
  double stall_torque = 0.15;     // N m at the wheel, full duty, wheel held ("stall_torque")
};

// "camera": the policy camera, fixed to the chassis.
struct JetbotCamera {
  // m, eye in the chassis frame (x forward, y left, z up; origin at the wheel axle's midpoint, 0.03 m
  // above the floor): 0.06 m ahead of the axle, 0.09 m above the floor ("pos": [x, y, z]).
  std::array<double, 3> pos = {0.06, 0.0, 0.06};
  double pitch = 0.3490658503988659;  // rad, down from horizontal (20 deg) ("pitch")
  double fov = 1.2;                   // rad, vertical field of view ("fov")
  // s, how often the image is refreshed; between refreshes the policy sees the last frame again
  // (Isaac Lab's update_period). Counted in whole physics steps (1/60 s): a new frame comes at the first
  // policy step at or after it; 0: every policy step ("update_period").
  double update_period = 0.1;
};

// "robot_pose_noise": uniform noise on the robot's start pose at every reset.
struct JetbotPoseNoise {
  double xy = 0.0;   // m, x and y each uniform in +-xy ("xy")
  double yaw = 0.0;  // rad, uniform in +-yaw ("yaw")
};

// "domain_randomization_config": what domain_randomization draws per env at reconfigure (each key below is
// a sub-key of it, e.g. "domain_randomization_config": {"ambient_range": [0.2, 0.5]}).
struct JetbotRandomization {
  // Colours: each RGB channel of the scene's colour moved uniformly in +-jitter (clamped to [0, 1]); one
  // colour for all four walls.
  double floor_color_jitter = 0.2;   // "floor_color_jitter", in [0, 1]
  double wall_color_jitter = 0.3;    // "wall_color_jitter", in [0, 1]
  double block_color_jitter = 0.12;  // "block_color_jitter", in [0, 1]; small: the block stays red
  // The renderer's lights: ambient per channel, and the intensity of its two directional lights.
  std::array<double, 2> ambient_range = {0.2, 0.5};    // "ambient_range": [low, high] in [0, 1]
  std::array<double, 2> diffuse_range = {0.35, 0.65};  // "diffuse_range": [low, high] in [0, 1]
  // The camera on the chassis: eye, pitch and fov each uniform in +-noise around "camera".
  std::array<double, 3> camera_pos_noise = {0.01, 0.01, 0.01};  // m, "camera_pos_noise": [x, y, z]
  double camera_pitch_noise = 0.05;                             // rad, "camera_pitch_noise"
  double camera_fov_noise = 0.05;                               // rad, "camera_fov_noise"
  // Physics: a duty gain per wheel (motors differ) and the tyres' sliding friction, uniform in [low, high].
  std::array<double, 2> motor_gain_range = {0.85, 1.15};    // "motor_gain_range", 0 < low <= high <= 2
  std::array<double, 2> wheel_friction_range = {0.6, 1.2};  // "wheel_friction_range", 0 < low <= high <= 5
};

// The common fields (sim/env_config.h): obs_mode (state: 11 privileged values; rgb: the image + the last
// action [2], what the real Jetbot knows without wheel encoders), sensor 224 x 224, 150-step episodes
// (5 s at 30 Hz), robot_mjcf_path (empty: the built-in assets/jetbot.xml).
struct JetbotConfig final : EnvConfig {
  JetbotConfig() {
    sensor_width = sensor_height = 224;
    max_episode_steps = 150;
  }

  JetbotTask task = JetbotTask::kDirect;  // not a key: set from the env id
  JetbotMotor motor;                      // "motor"
  JetbotCamera camera;                    // "camera"
  double arena_half_size = 1.5;           // m, the walls' inner faces at x, y = +-this ("arena_half_size")
  std::array<double, 3> robot_start = {-0.6, 0.0, 0.0};  // [x m, y m, yaw rad] ("robot_start")
  JetbotPoseNoise robot_pose_noise;                      // "robot_pose_noise": {"xy", "yaw"}
  // Direct: the block's fixed position [x, y] m ("block_start"); Goal draws it instead.
  std::array<double, 2> block_start = {0.3, 0.0};
  // Goal: the block at a distance (chassis centre to block centre) and bearing (from the robot's heading,
  // + to the left) drawn uniformly in these ranges ("goal_distance_range" [m], "goal_bearing_range" [rad]).
  std::array<double, 2> goal_distance_range = {0.35, 1.0};
  std::array<double, 2> goal_bearing_range = {-0.5, 0.5};
  // m, chassis centre to block centre for success ("success_distance"). The chassis centre stops ~0.09 m
  // from the block's when the robot's front touches it, so values >= 0.12 are reachable from any side.
  double success_distance = 0.2;
  bool domain_randomization = false;  // ("domain_randomization")
  JetbotRandomization domain_randomization_config;

  std::unique_ptr<EnvConfig> Clone() const override { return std::make_unique<JetbotConfig>(*this); }
  void Validate(const std::string& source) const override;
  // One action interface: "motor_duty", the wheels' duties [left, right] in [-1, 1].
  std::string control_mode_name() const override { return "motor_duty"; }
  void SetControlMode(std::string_view name, std::string_view what) override;
  // Direct: "exp_inverse_distance" (exp(1 / d) - 30); Goal: "shaped" (sim/jetbot_env.h).
  std::string reward_mode_name() const override;
};

// The defaults of a task. Direct: as above (the seed's fixed start, no noise, no randomization, camera
// refreshed every 0.1 s, success within 0.2 m). Goal: robot_pose_noise {0.15 m, 0.4 rad}, success within
// 0.15 m, domain randomization on, camera refreshed every policy step (the real Jetbot runs its policy on
// every 30 fps camera frame).
JetbotConfig JetbotDefaults(JetbotTask task);

// The env id of a task, and the task of an id (false if `id` is neither).
std::string_view JetbotEnvId(JetbotTask task);
bool JetbotTaskOfId(std::string_view id, JetbotTask* task);

inline constexpr int kJetbotSimFreq = 60;      // Hz, physics (the scene's timestep 1/60 s)
inline constexpr int kJetbotControlFreq = 30;  // Hz, policy (decimation 2)
inline constexpr int kJetbotSubsteps = kJetbotSimFreq / kJetbotControlFreq;
inline constexpr double kJetbotWheelRadius = 0.03;  // m, the built-in model's
inline constexpr double kJetbotTrack = 0.1125;      // m, between the wheel centres

}  // namespace s2r::sim
