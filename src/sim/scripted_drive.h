// A hand-written driver for the Jetbot tasks (Isaac-Jetbot-Direct-v0, JetbotGoal-v0): it steers toward the
// block from the privileged state (the chassis's and the block's poses, read by body name from the env's
// MuJoCo data), through the same motor-duty actions a policy uses. It proves that the twin can do the task
// within the episode limit, and it drives the real robot before a policy exists (with the block's pose
// from elsewhere).
#pragma once

#include <memory>

#include "sim/mj_env.h"
#include "sim/scripted_controller.h"

namespace s2r::sim {

class ScriptedDrive final : public ScriptedController {
 public:
  // Resolves the bodies chassis and block in `model` (the env's model or any copy of it).
  explicit ScriptedDrive(const mjModel* model);

  void Reset() override {}
  // action: [left, right] duty in [-1, 1]. Proportional steering on the block's bearing b (rad, + to the
  // left): turn = clamp(kTurnGain * b, +-kMaxTurn); forward = kCruise * max(0, 1 - |b| / kStopBearing), so
  // the robot turns on the spot toward a block far to the side and drives straight at one ahead;
  // left = forward - turn, right = forward + turn.
  void Act(const MjEnv& env, float* action) override;

  static constexpr double kTurnGain = 1.2;     // duty per rad of bearing
  static constexpr double kMaxTurn = 0.5;      // duty
  static constexpr double kCruise = 0.7;       // duty, straight ahead
  static constexpr double kStopBearing = 1.0;  // rad: no forward drive beyond this bearing

 private:
  int chassis_body_ = -1, block_body_ = -1;
};

// The registry's entry: a ScriptedDrive for `env` (one of a Jetbot task's envs).
std::unique_ptr<ScriptedController> MakeScriptedDrive(const MjEnv& env);

}  // namespace s2r::sim
