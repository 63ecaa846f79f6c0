// `sim2real eval --real ...`: a checkpoint (or the scripted controller) on the real arm and camera,
// through deploy::RealGraspCubeEnv and deploy::RunRealEval (safety: Enter per step with
// --no-continuous-eval, Ctrl+C returns to rest and turns torque off).
#pragma once

#include <string>

#include "app/cli_util.h"

namespace s2r::app {

struct RealEvalFlags {
  std::string checkpoint;  // empty with scripted
  bool scripted = false;
  std::string robot_config;     // default configs/robots/so100.json
  std::string robot_port;       // default: the robot config's "port"
  std::string robot_id;         // default: the robot config's "id"
  std::string calibration_dir;  // default: LeRobot's location
  std::string camera;           // default: the robot config's camera spec
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
