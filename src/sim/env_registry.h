// How to build a batch of a registered environment (the ids: sim/env_ids.h).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sim/env.h"
#include "sim/env_ids.h"
#include "sim/grasp_cube_config.h"
#include "sim/vec_env.h"

namespace s2r::sim {

struct EnvMaker {
  EnvSpec spec;
  EnvFactory factory;
};

// Builds the spec and a factory for SO100GraspCube-v1 with `cfg` (validated here).
EnvMaker MakeGraspCube(const GraspCubeConfig& cfg);

std::unique_ptr<VecEnv> MakeVecEnv(const std::string& env_id, const GraspCubeConfig& cfg,
                                   const VecEnvConfig& vcfg);

}  // namespace s2r::sim
