// Settings of SO100GraspCube-v1, with the keys of lerobot-sim2real's env_config.json.
// app/config_load.cc is the only place that turns JSON into this struct; Validate() checks ranges.
#pragma once

#include <array>
#include <string>

#include "core/joint_controller.h"
#include "core/so100_layout.h"
#include "render/greenscreen.h"
#include "sim/env_config.h"

namespace s2r::sim {

enum class RewardMode { kNormalizedDense, kDense, kSparse, kNone };

struct CameraSettings {
  std::array<double, 3> pos = {0.5, 0.3, 0.35};    // eye, m (world frame)
  std::array<double, 3> target = {0.3, 0.0, 0.1};  // look-at point, m
  double fov = 0.9075712110370514;                 // vertical field of view, rad (52 deg)
};

enum class RobotColorMode { kDefault, kRandom, kFixed };

// "domain_randomization_config": ranges of the visual and physical randomization.
struct GraspCubeRandomization {
  double initial_qpos_noise_scale = 0.02;  // rad, std of the reset noise (applied even with DR off)
  RobotColorMode robot_color_mode = RobotColorMode::kDefault;       // null / "random" / [r, g, b]
  std::array<double, 3> robot_color = {0.95, 0.95, 0.95};           // used by kFixed, each in [0, 1]
  bool randomize_lighting = true;                                   // ambient light per env in [0.2, 0.5]^3
  std::array<double, 3> max_camera_offset = {0.025, 0.025, 0.025};  // m, full width of the eye box
  double camera_target_noise = 1e-3;                                // m, std of the look-at noise
  double camera_view_rot_noise = 5e-3;                          // rad, std of the roll about the view axis
  double camera_fov_noise = 0.03490658503988659;                // rad, fov uniform in +-this per env (2 deg)
  std::array<double, 2> cube_half_size_range = {0.011, 0.014};  // m
  double cube_friction_mean = 0.3;
  double cube_friction_std = 0.05;
  std::array<double, 2> cube_friction_bounds = {0.1, 0.5};
  bool randomize_cube_color = true;
};

// The common fields (sim/env_config.h): obs_mode (state: 31 floats; rgb: the first 17 + the image),
// sensor 128 x 128, 64-step episodes, robot_mjcf_path (empty: the built-in assets/so100.xml).
struct GraspCubeConfig final : EnvConfig {
  CameraSettings base_camera_settings;
  std::string greenscreen_overlay_path;                                     // empty: no greenscreen
  render::OverlayMode rgb_overlay_mode = render::OverlayMode::kBackground;  // when a photo is given
  std::array<double, 2> spawn_box_pos = {0.3, 0.05};  // m, spawn centre relative to the robot base
  double spawn_box_half_size = 0.1;                   // m
  bool domain_randomization = true;
  GraspCubeRandomization domain_randomization_config;
  ControlMode control_mode = ControlMode::kJointTargetDeltaPos;
  RewardMode reward_mode = RewardMode::kNormalizedDense;

  std::unique_ptr<EnvConfig> Clone() const override { return std::make_unique<GraspCubeConfig>(*this); }
  void Validate(const std::string& source) const override;
  std::string control_mode_name() const override;
  void SetControlMode(std::string_view name, std::string_view what) override;
  std::string reward_mode_name() const override;
  // The reset draw these settings describe (noise and spawn box), shared with the real arm.
  so100::ResetDistribution reset_distribution() const {
    return {domain_randomization_config.initial_qpos_noise_scale, spawn_box_pos, spawn_box_half_size};
  }
};

// Physics at 200 Hz (the scene's timestep 0.005 s), not the reference's 100 Hz: at 0.01 s MuJoCo's stiff
// contacts shot the 3 g cube away when a jaw pressed it into the table (a trained policy's sampled episodes:
// 10.5 % moved it > 5 cm in one control step, 4 % off the table; 0.4 % each at 0.005 s;
// bench/results/README.md).
inline constexpr int kSimFreq = 200;     // Hz, physics
inline constexpr int kControlFreq = 20;  // Hz, policy
inline constexpr int kSubsteps = kSimFreq / kControlFreq;
inline constexpr double kDefaultCubeHalfSize = 0.0125;  // m, the cube without randomization (2.5 cm)

std::string_view RewardModeName(RewardMode m);
RewardMode ParseRewardMode(std::string_view name, std::string_view what);

}  // namespace s2r::sim
