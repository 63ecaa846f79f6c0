// How to build a registered environment by id (the ids: sim/env_ids.h): its spec, a factory of its envs
// (sim/mj_env.h), a batch of them, and its scripted controller. An unregistered id is refused with a
// ConfigError naming --env-id, the id and the registered ones.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "sim/env.h"
#include "sim/env_ids.h"
#include "sim/grasp_cube_config.h"
#include "sim/mj_env.h"
#include "sim/scripted_controller.h"
#include "sim/vec_env.h"

namespace s2r::sim {

struct EnvMaker {
  EnvSpec spec;
  EnvFactory factory;
};

// The spec and a factory of env `env_id` with `cfg` (validated here). cfg must be the env's own config type
// (what DefaultEnvConfig(env_id) returns, then edited); another task's config is refused with a ConfigError.
EnvMaker MakeEnv(const std::string& env_id, const EnvConfig& cfg);
// The spec alone, without compiling the scene.
EnvSpec MakeEnvSpec(const std::string& env_id, const EnvConfig& cfg);

std::unique_ptr<VecEnv> MakeVecEnv(const std::string& env_id, const EnvConfig& cfg, const VecEnvConfig& vcfg);

// The scripted controller of env `env_id` for `env` (one of its envs).
std::unique_ptr<ScriptedController> MakeScripted(const std::string& env_id, const MjEnv& env);

// The EnvMaker of a task whose envs are Env(scene, config, seed, index) over one scene and one config that
// every env of the batch shares (read-only).
template <typename Env, typename Config, typename Scene>
EnvMaker MakeSharedSceneEnvs(const Config& cfg, EnvSpec spec, std::shared_ptr<const Scene> scene) {
  auto shared_cfg = std::make_shared<const Config>(cfg);
  EnvMaker maker;
  maker.spec = std::move(spec);
  maker.factory = [shared_cfg, scene](uint64_t seed, int index) -> std::unique_ptr<MjEnv> {
    return std::make_unique<Env>(scene, shared_cfg, seed, index);
  };
  return maker;
}

// SO100GraspCube-v1 with `cfg` (validated here), what MakeEnv(kGraspCubeId, cfg) returns.
EnvMaker MakeGraspCube(const GraspCubeConfig& cfg);

}  // namespace s2r::sim
