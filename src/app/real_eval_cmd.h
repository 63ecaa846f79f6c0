// `sim2real eval --real ...`: a checkpoint (or the scripted controller) on the real arm and camera,
// through deploy::RealGraspCubeEnv and deploy::RunRealEval (safety: Enter per step with
// --no-continuous-eval, Ctrl+C returns to rest and turns torque off).
#pragma once

#include <string>

#include "app/cli_util.h"
#include "app/real_side.h"

namespace s2r::app {

struct RealEvalFlags {
  std::string checkpoint;  // empty with scripted
  bool scripted = false;
  RealSideFlags side;  // robot config, port, id, calibration folder, camera
  double control_freq = 15;
  int max_episode_steps = 100;
  int num_episodes = 0;  // 0: until Ctrl+C
  bool continuous_eval = true;
  bool sample_actions = false;
  std::string record_dir;
  uint64_t seed = 1;
  bool json = false;
};

// Returns the process exit code (130 after Ctrl+C, as a shell reports SIGINT).
int RunRealEvalCommand(const EnvFlags& env, const RealEvalFlags& flags);

}  // namespace s2r::app
