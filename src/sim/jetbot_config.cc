#include "sim/jetbot_config.h"

#include <cmath>

#include "core/error.h"

namespace s2r::sim {

namespace {

constexpr double kPi = 3.14159265358979323846;
// m the robot's start (with its noise) keeps from the walls' inner faces: the robot's footprint reaches
// ~0.1 m from its centre, and the Goal task ends at 0.12 m (jetbot_env.cc).
constexpr double kStartWallClearance = 0.15;
constexpr double kBlockWallClearance = 0.05;  // m, the block's centre from a wall (half its size + margin)

void Require(bool ok, const std::string& source, const std::string& key, const std::string& expected) {
  if (!ok) throw ConfigError(source + ": key '" + key + "': expected " + expected);
}

bool Finite(double v) { return std::isfinite(v); }

// [low, high] with lo <= low <= high <= hi.
bool Range(const std::array<double, 2>& r, double lo, double hi) {
  return Finite(r[0]) && Finite(r[1]) && lo <= r[0] && r[0] <= r[1] && r[1] <= hi;
}

std::string Num(double v) {
  std::string s = std::to_string(v);
  s.erase(s.find_last_not_of('0') + 1);
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

}  // namespace

void JetbotConfig::Validate(const std::string& source) const {
  Require(Finite(motor.max_wheel_speed) && motor.max_wheel_speed > 0.0 && motor.max_wheel_speed <= 200.0,
          source, "motor.max_wheel_speed", "a no-load wheel speed in rad/s in (0, 200]");
  Require(Finite(motor.stall_torque) && motor.stall_torque > 0.0 && motor.stall_torque <= 10.0, source,
          "motor.stall_torque", "a stall torque in N m in (0, 10]");

  for (double v : camera.pos)
    Require(Finite(v) && std::fabs(v) <= 0.5, source, "camera.pos",
            "3 numbers in metres in [-0.5, 0.5] (chassis frame)");
  Require(Finite(camera.pitch) && std::fabs(camera.pitch) <= 1.5, source, "camera.pitch",
          "radians down from horizontal in [-1.5, 1.5]");
  Require(Finite(camera.fov) && camera.fov > 0.0 && camera.fov < 3.1, source, "camera.fov",
          "a vertical field of view in radians in (0, 3.1)");
  Require(Finite(camera.update_period) && camera.update_period >= 0.0 && camera.update_period <= 10.0, source,
          "camera.update_period", "seconds in [0, 10] (0: every policy step)");

  Require(Finite(arena_half_size) && arena_half_size >= 0.5 && arena_half_size <= 20.0, source,
          "arena_half_size", "a half size in metres in [0.5, 20]");
  const double a = arena_half_size;
  Require(Finite(robot_pose_noise.xy) && robot_pose_noise.xy >= 0.0 && robot_pose_noise.xy <= 2.0, source,
          "robot_pose_noise.xy", "metres in [0, 2]");
  Require(Finite(robot_pose_noise.yaw) && robot_pose_noise.yaw >= 0.0 && robot_pose_noise.yaw <= kPi, source,
          "robot_pose_noise.yaw", "radians in [0, pi]");
  const double reach = a - kStartWallClearance - robot_pose_noise.xy;
  for (int k = 0; k < 2; ++k)
    Require(Finite(robot_start[k]) && std::fabs(robot_start[k]) <= reach, source, "robot_start",
            "[x, y, yaw] with |x|, |y| <= arena_half_size - " + Num(kStartWallClearance) +
                " - robot_pose_noise.xy = " + Num(reach) + " m");
  Require(Finite(robot_start[2]), source, "robot_start", "[x, y, yaw] with a finite yaw in radians");
  for (double v : block_start)
    Require(Finite(v) && std::fabs(v) <= a - kBlockWallClearance, source, "block_start",
            "[x, y] with |x|, |y| <= arena_half_size - " + Num(kBlockWallClearance) + " m");

  Require(Range(goal_distance_range, 0.15, 2.0 * a), source, "goal_distance_range",
          "[low, high] in metres with 0.15 <= low <= high <= 2 * arena_half_size");
  Require(Range(goal_bearing_range, -kPi, kPi), source, "goal_bearing_range",
          "[low, high] in radians with -pi <= low <= high <= pi");
  Require(Finite(success_distance) && success_distance >= 0.12 && success_distance <= 1.0, source,
          "success_distance", "metres in [0.12, 1] (the chassis centre stops ~0.09 m from the block's)");

  const auto& r = domain_randomization_config;
  const std::string dr = "domain_randomization_config.";
  Require(Finite(r.floor_color_jitter) && r.floor_color_jitter >= 0.0 && r.floor_color_jitter <= 1.0, source,
          dr + "floor_color_jitter", "a colour offset in [0, 1]");
  Require(Finite(r.wall_color_jitter) && r.wall_color_jitter >= 0.0 && r.wall_color_jitter <= 1.0, source,
          dr + "wall_color_jitter", "a colour offset in [0, 1]");
  Require(Finite(r.block_color_jitter) && r.block_color_jitter >= 0.0 && r.block_color_jitter <= 1.0, source,
          dr + "block_color_jitter", "a colour offset in [0, 1]");
  Require(Range(r.ambient_range, 0.0, 1.0), source, dr + "ambient_range",
          "[low, high] with 0 <= low <= high <= 1");
  Require(Range(r.diffuse_range, 0.0, 1.0), source, dr + "diffuse_range",
          "[low, high] with 0 <= low <= high <= 1");
  for (double v : r.camera_pos_noise)
    Require(Finite(v) && v >= 0.0 && v <= 0.1, source, dr + "camera_pos_noise",
            "3 offsets in metres in [0, 0.1]");
  Require(Finite(r.camera_pitch_noise) && r.camera_pitch_noise >= 0.0 && r.camera_pitch_noise <= 0.5, source,
          dr + "camera_pitch_noise", "radians in [0, 0.5]");
  Require(Finite(r.camera_fov_noise) && r.camera_fov_noise >= 0.0 && r.camera_fov_noise < camera.fov &&
              camera.fov + r.camera_fov_noise < 3.1,
          source, dr + "camera_fov_noise", "radians in [0, camera.fov) with camera.fov + noise < 3.1");
  Require(Range(r.motor_gain_range, 0.0, 2.0) && r.motor_gain_range[0] > 0.0, source, dr + "motor_gain_range",
          "[low, high] with 0 < low <= high <= 2");
  Require(Range(r.wheel_friction_range, 0.0, 5.0) && r.wheel_friction_range[0] > 0.0, source,
          dr + "wheel_friction_range", "[low, high] with 0 < low <= high <= 5");
  ValidateCommon(source);
}

void JetbotConfig::SetControlMode(std::string_view name, std::string_view what) {
  if (name != "motor_duty")
    throw ConfigError(std::string(what) + ": unknown control mode '" + std::string(name) +
                      "' for the Jetbot; expected motor_duty");
}

std::string JetbotConfig::reward_mode_name() const {
  return task == JetbotTask::kDirect ? "exp_inverse_distance" : "shaped";
}

JetbotConfig JetbotDefaults(JetbotTask task) {
  JetbotConfig c;
  c.task = task;
  if (task == JetbotTask::kGoal) {
    c.robot_pose_noise = {0.15, 0.4};
    c.success_distance = 0.15;
    c.domain_randomization = true;
    c.camera.update_period = 0.0;
  }
  return c;
}

std::string_view JetbotEnvId(JetbotTask task) {
  return task == JetbotTask::kDirect ? kJetbotDirectId : kJetbotGoalId;
}

bool JetbotTaskOfId(std::string_view id, JetbotTask* task) {
  if (id == kJetbotDirectId) {
    *task = JetbotTask::kDirect;
    return true;
  }
  if (id == kJetbotGoalId) {
    *task = JetbotTask::kGoal;
    return true;
  }
  return false;
}

}  // namespace s2r::sim
