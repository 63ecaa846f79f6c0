#include "sim/env_registry.h"

#include "core/error.h"
#include "sim/grasp_cube_env.h"

namespace s2r::sim {

EnvMaker MakeGraspCube(const GraspCubeConfig& cfg) {
  cfg.Validate("env config");
  auto shared_cfg = std::make_shared<const GraspCubeConfig>(cfg);
  auto scene = LoadGraspCubeScene(cfg);
  EnvMaker maker;
  maker.spec = GraspCubeSpec(cfg);
  maker.factory = [shared_cfg, scene](uint64_t seed, int index) -> std::unique_ptr<Env> {
    return std::make_unique<GraspCubeEnv>(scene, shared_cfg, seed, index);
  };
  return maker;
}

std::unique_ptr<VecEnv> MakeVecEnv(const std::string& env_id, const GraspCubeConfig& cfg,
                                   const VecEnvConfig& vcfg) {
  RequireRegisteredEnv(env_id, "--env-id");
  EnvMaker maker = MakeGraspCube(cfg);
  return std::make_unique<VecEnv>(maker.spec, maker.factory, vcfg);
}

}  // namespace s2r::sim
