// The registered environments' ids and what they offer, as data (no MuJoCo: the robot-side build checks
// --env-id against it too). sim/env_registry.h builds them.
#pragma once

#include <string>
#include <vector>

namespace s2r::sim {

inline constexpr const char* kGraspCubeId = "SO100GraspCube-v1";

struct EnvInfo {
  std::string id;
  std::string description;
  std::vector<std::string> obs_modes;
  std::vector<std::string> control_modes;
};

const std::vector<EnvInfo>& RegisteredEnvs();

// Throws ConfigError naming `flag` if `env_id` is not registered.
void RequireRegisteredEnv(const std::string& env_id, const std::string& flag);

}  // namespace s2r::sim
