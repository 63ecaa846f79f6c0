// The SO-100 arm's shared contract between the simulated twin and the real robot: joint names and
// order, the rest pose, controller limits and the observation layouts of SO100GraspCube-v1.
// Sim and hardware both build observations from this file, so a policy sees the same vector in both.
#pragma once

#include <array>
#include <string_view>

#include "core/joint_controller.h"
#include "core/rng.h"

namespace s2r::so100 {

inline constexpr int kNumJoints = 6;
inline constexpr int kNumArmJoints = 5;  // all but the gripper
inline constexpr std::array<std::string_view, kNumJoints> kJointNames = {
    "shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll", "gripper"};

inline constexpr double kPi = 3.14159265358979323846;
// The task's rest pose, radians: gripper pointing down at the table, half open.
inline constexpr std::array<double, kNumJoints> kRestQpos = {0, 0, 0, kPi / 2, kPi / 2, 0};
// Joint limits, radians (the reference URDF's).
inline constexpr std::array<double, kNumJoints> kJointLow = {-2.0, -1.5708, -1.5708, -1.8, -3.14159, -1.1};
inline constexpr std::array<double, kNumJoints> kJointHigh = {2.0, 1.5708, 1.5708, 1.8, 3.14159, 1.1};
// Per-step joint delta for an action of +-1, radians: 0.05 for the arm, 0.2 for the gripper.
inline constexpr double kArmDeltaPerStep = 0.05;
inline constexpr double kGripperDeltaPerStep = 0.2;

JointControllerSpec ControllerSpec();

// Observation layouts (float32). `state` mode: 31 values; `rgb` mode's state part: 17 values.
namespace obs {
inline constexpr int kQpos = 0;          // [6] joint positions, rad
inline constexpr int kTargetQpos = 6;    // [6] controller targets, rad
inline constexpr int kDistToRest = 12;   // [5] target_qpos[:5] - rest_qpos[:5], rad
inline constexpr int kRgbStateDim = 17;  // rgb mode stops here
inline constexpr int kIsGrasped = 17;    // [1] 0/1
inline constexpr int kObjPose = 18;      // [7] cube position (m) and quaternion (w, x, y, z)
inline constexpr int kTcpPos = 25;       // [3] m
inline constexpr int kTcpToObj = 28;     // [3] cube position - tcp position, m
inline constexpr int kStateDim = 31;
}  // namespace obs

// The proprioceptive part of both observations (obs::kQpos .. kRgbStateDim, 17 floats), from measured joint
// positions and controller targets (both [6], rad). The sim and the real arm both call it.
void WriteProprioObs(const double* qpos, const double* target, float* obs);

// SO100GraspCube-v1's reset distribution: the arm at rest plus Gaussian noise, the cube flat on the table
// uniform in a square box with a uniform yaw. Sim and real draw from it with the same code.
struct ResetDistribution {
  double qpos_noise = 0.02;                          // rad, std per joint
  std::array<double, 2> spawn_center = {0.3, 0.05};  // m, robot base frame
  double spawn_half_size = 0.1;                      // m
};
struct ResetDraw {
  std::array<double, kNumJoints> qpos{};  // rad, the start pose
  double cube_x = 0, cube_y = 0;          // m, robot base frame
  double cube_yaw = 0;                    // rad, in [-pi, pi)
};
// Draws, in this order: 6 normals (joints), the cube's x, y and yaw.
ResetDraw DrawReset(Rng& rng, const ResetDistribution& d);

}  // namespace s2r::so100
