// A hand-written grasp controller for SO100GraspCube-v1: damped-least-squares IK on MuJoCo's
// Jacobian, driven through the same [-1, 1] action interface a policy uses. It proves that the twin
// can do the task within the episode limit, and it drives the real-robot loop before a policy exists.
#pragma once

#include <array>
#include <cstdint>
#include <functional>

#include "sim/grasp_cube_env.h"
#include "sim/mj_handles.h"

namespace s2r::sim {

class ScriptedGrasp {
 public:
  enum class Phase { kApproach, kClose, kLift };

  explicit ScriptedGrasp(const mjModel* model);

  // Call at the start of every episode.
  void Reset();
  // Computes the action for the env's current state: [6] float in the env's control mode.
  void Act(const GraspCubeEnv& env, float* action);
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

struct ScriptedStats {
  int episodes = 0;
  double success_rate = 0;       // episodes that succeeded at some step (the episode then ends)
  double grasp_rate = 0;         // episodes in which the cube was grasped at some step
  double mean_return = 0;        // sum of the configured reward over the episode
  double mean_success_step = 0;  // control step of success, over successful episodes
  int64_t diverged = 0;
};

// Runs `episodes` scripted episodes on a batch of `num_envs` envs (env i plays episodes i, i + N, ...,
// so the result depends only on the seed and num_envs). `on_episode(done)` reports progress.
ScriptedStats RunScriptedEpisodes(const GraspCubeConfig& cfg, int episodes, uint64_t seed, int num_envs,
                                  int threads, const std::function<void(int)>& on_episode = {});

}  // namespace s2r::sim
