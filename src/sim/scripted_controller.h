// A task's hand-written controller, driven through the same action interface a policy uses
// (sim/env_registry.h's MakeScripted builds the one of an env id). One controller drives one env.
#pragma once

#include "sim/mj_env.h"

namespace s2r::sim {

class ScriptedController {
 public:
  virtual ~ScriptedController() = default;
  // Call at the start of every episode.
  virtual void Reset() = 0;
  // The action for the env's current state: [action_dim] float in the env's control mode.
  virtual void Act(const MjEnv& env, float* action) = 0;
};

}  // namespace s2r::sim
