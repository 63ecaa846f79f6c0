// The registered environments and how to build a batch of one.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sim/env.h"
#include "sim/grasp_cube_config.h"
#include "sim/vec_env.h"

namespace s2r::sim {

struct EnvInfo {
  std::string id;
  std::string description;
  std::vector<std::string> obs_modes;
  std::vector<std::string> control_modes;
};

const std::vector<EnvInfo>& RegisteredEnvs();

// Throws ConfigError naming `flag` if `env_id` is not registered.
void RequireRegisteredEnv(const std::string& env_id, const std::string& flag);

struct EnvMaker {
  EnvSpec spec;
  EnvFactory factory;
};

// Builds the spec and a factory for SO100GraspCube-v1 with `cfg` (validated here).
EnvMaker MakeGraspCube(const GraspCubeConfig& cfg);

std::unique_ptr<VecEnv> MakeVecEnv(const std::string& env_id, const GraspCubeConfig& cfg,
                                   const VecEnvConfig& vcfg);

}  // namespace s2r::sim
