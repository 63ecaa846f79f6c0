// The registered environments' ids and what they offer, as data (no MuJoCo: the robot-side build checks
// --env-id against it too). sim/env_registry.h builds them.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sim/env_config.h"

namespace s2r::sim {

inline constexpr const char* kGraspCubeId = "SO100GraspCube-v1";

struct EnvInfo {
  std::string id;
  std::string description;
  std::vector<std::string> obs_modes;
  std::vector<std::string> control_modes;  // the first is the default
  std::string action_description;          // what one action means in the default control mode
  std::unique_ptr<EnvConfig> (*default_config)();  // the task's env_config with its built-in defaults
};

const std::vector<EnvInfo>& RegisteredEnvs();

// Throws ConfigError naming `flag` if `env_id` is not registered.
void RequireRegisteredEnv(const std::string& env_id, const std::string& flag);

// The env_config of `env_id` with its built-in defaults (its own type: each task has its keys); throws
// ConfigError naming `flag` if the id is not registered.
std::unique_ptr<EnvConfig> DefaultEnvConfig(const std::string& env_id, const std::string& flag = "--env-id");

}  // namespace s2r::sim
