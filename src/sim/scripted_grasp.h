// A hand-written grasp controller for SO100GraspCube-v1: damped-least-squares IK on MuJoCo's
// Jacobian, driven through the same [-1, 1] action interface a policy uses. It proves that the twin
// can do the task within the episode limit, and it drives the real-robot loop before a policy exists.
#pragma once

#include <array>

#include "sim/grasp_cube_env.h"
#include "sim/mj_handles.h"
#include "sim/scripted_controller.h"

namespace s2r::sim {

class ScriptedGrasp final : public ScriptedController {
 public:
  enum class Phase { kApproach, kClose, kLift };

  explicit ScriptedGrasp(const mjModel* model);

  void Reset() override;
  // action: [6]. `env` must be a GraspCubeEnv (the registry pairs this controller with SO100GraspCube-v1).
  void Act(const MjEnv& env, float* action) override;
  Phase phase() const { return phase_; }

  // Arm joint positions (pan, lift, elbow, wrist_flex, wrist_roll) that put the grasp point at
  // `point` (world, m) with the gripper pointing down and its jaws across a face of a cube of yaw
  // `cube_yaw` (rad), starting from `q_init`. Exposed for tests.
  std::array<double, 5> SolveIk(const GraspCubeEnv& env, const std::array<double, 3>& point, double cube_yaw,
                                const std::array<double, 5>& q_init);

 private:
  // The grasp point (world, m) with the arm joints at q.
  std::array<double, 3> GraspPointAt(const GraspCubeEnv& env, const std::array<double, 5>& q);

  const mjModel* model_;
  MjDataPtr scratch_;  // IK workspace, never the env's data
  Phase phase_ = Phase::kApproach;
  int phase_steps_ = 0;
  double last_roll_goal_ = 1e9;  // rad, the wrist roll the IK asked for last step
};

}  // namespace s2r::sim
