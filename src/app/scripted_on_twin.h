// The scripted grasp on the real arm (`eval --real --scripted`, full build only): the controller plans on
// a MuJoCo twin that mirrors the arm each step (measured joints and their finite-difference velocity, the
// controller's targets) with the cube where the episode asked the user to put it.
#pragma once

#include <cstdint>
#include <memory>

#include "deploy/real_env.h"
#include "sim/grasp_cube_config.h"
#include "sim/grasp_cube_env.h"
#include "sim/scripted_grasp.h"

namespace s2r::app {

class ScriptedOnTwin {
 public:
  ScriptedOnTwin(const sim::GraspCubeConfig& cfg, uint64_t seed);
  void Reset() { controller_.Reset(); }
  // action [6] in [-1, 1] for the arm as `env` last observed it.
  void Act(const deploy::RealGraspCubeEnv& env, float* action);

 private:
  sim::GraspCubeEnv twin_;
  sim::ScriptedGrasp controller_;
};

}  // namespace s2r::app
