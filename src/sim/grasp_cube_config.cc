#include "sim/grasp_cube_config.h"

#include <cmath>

#include "core/error.h"

namespace s2r::sim {

namespace {

void Require(bool ok, const std::string& source, const std::string& key, const std::string& expected) {
  if (!ok) throw ConfigError(source + ": key '" + key + "': expected " + expected);
}

bool Finite3(const std::array<double, 3>& v) {
  return std::isfinite(v[0]) && std::isfinite(v[1]) && std::isfinite(v[2]);
}

}  // namespace

void GraspCubeConfig::Validate(const std::string& source) const {
  const auto& c = base_camera_settings;
  Require(Finite3(c.pos), source, "base_camera_settings.pos", "3 finite numbers (m)");
  Require(Finite3(c.target), source, "base_camera_settings.target", "3 finite numbers (m)");
  Require(c.pos != c.target, source, "base_camera_settings.target", "a point different from pos");
  Require(c.fov > 0.0 && c.fov < 3.1, source, "base_camera_settings.fov",
          "a vertical field of view in radians in (0, 3.1)");
  Require(std::isfinite(spawn_box_pos[0]) && std::isfinite(spawn_box_pos[1]), source, "spawn_box_pos",
          "2 finite numbers (m)");
  Require(spawn_box_half_size >= 0.0 && spawn_box_half_size <= 0.5, source, "spawn_box_half_size",
          "a half size in metres in [0, 0.5]");
  const auto& r = domain_randomization_config;
  const std::string dr = "domain_randomization_config.";
  Require(r.initial_qpos_noise_scale >= 0.0 && r.initial_qpos_noise_scale <= 0.5, source,
          dr + "initial_qpos_noise_scale", "a standard deviation in radians in [0, 0.5]");
  for (double v : r.robot_color)
    Require(v >= 0.0 && v <= 1.0, source, dr + "robot_color", "null, \"random\" or [r, g, b] in [0, 1]");
  for (double v : r.max_camera_offset)
    Require(v >= 0.0 && v <= 0.5, source, dr + "max_camera_offset", "3 offsets in metres in [0, 0.5]");
  Require(r.camera_target_noise >= 0.0 && r.camera_target_noise <= 0.5, source, dr + "camera_target_noise",
          "a standard deviation in metres in [0, 0.5]");
  Require(r.camera_view_rot_noise >= 0.0 && r.camera_view_rot_noise <= 1.0, source,
          dr + "camera_view_rot_noise", "a standard deviation in radians in [0, 1]");
  Require(r.camera_fov_noise >= 0.0 && r.camera_fov_noise < c.fov, source, dr + "camera_fov_noise",
          "radians in [0, base_camera_settings.fov)");
  Require(r.cube_half_size_range[0] > 0.003 && r.cube_half_size_range[0] <= r.cube_half_size_range[1] &&
              r.cube_half_size_range[1] <= 0.05,
          source, dr + "cube_half_size_range", "[low, high] in metres with 0.003 < low <= high <= 0.05");
  Require(r.cube_friction_bounds[0] > 0.0 && r.cube_friction_bounds[0] <= r.cube_friction_bounds[1] &&
              r.cube_friction_bounds[1] <= 5.0,
          source, dr + "cube_friction_bounds", "[low, high] with 0 < low <= high <= 5");
  Require(r.cube_friction_mean > 0.0 && r.cube_friction_mean <= 5.0, source, dr + "cube_friction_mean",
          "a friction coefficient in (0, 5]");
  Require(r.cube_friction_std >= 0.0 && r.cube_friction_std <= 5.0, source, dr + "cube_friction_std",
          "a standard deviation in [0, 5]");
  ValidateCommon(source);
}

std::string GraspCubeConfig::control_mode_name() const { return std::string(ControlModeName(control_mode)); }

void GraspCubeConfig::SetControlMode(std::string_view name, std::string_view what) {
  control_mode = ParseControlMode(name, what);
}

std::string GraspCubeConfig::reward_mode_name() const { return std::string(RewardModeName(reward_mode)); }

std::string_view RewardModeName(RewardMode m) {
  switch (m) {
    case RewardMode::kNormalizedDense:
      return "normalized_dense";
    case RewardMode::kDense:
      return "dense";
    case RewardMode::kSparse:
      return "sparse";
    case RewardMode::kNone:
      return "none";
  }
  return "?";
}

RewardMode ParseRewardMode(std::string_view name, std::string_view what) {
  if (name == "normalized_dense") return RewardMode::kNormalizedDense;
  if (name == "dense") return RewardMode::kDense;
  if (name == "sparse") return RewardMode::kSparse;
  if (name == "none") return RewardMode::kNone;
  throw ConfigError(std::string(what) + ": unknown reward mode '" + std::string(name) +
                    "'; expected normalized_dense, dense, sparse or none");
}

}  // namespace s2r::sim
