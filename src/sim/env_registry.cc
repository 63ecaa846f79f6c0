#include "sim/env_registry.h"

#include "core/error.h"
#include "sim/grasp_cube_env.h"

namespace s2r::sim {

const std::vector<EnvInfo>& RegisteredEnvs() {
  static const std::vector<EnvInfo> envs = {
      {kGraspCubeId,
       "SO-100 arm grasps a ~2.5 cm cube on a table and lifts it back toward its rest pose "
       "(200 Hz physics, 20 Hz control, 64-step episodes)",
       {"state", "rgb"},
       {"pd_joint_target_delta_pos", "pd_joint_delta_pos", "pd_joint_pos"}},
  };
  return envs;
}

void RequireRegisteredEnv(const std::string& env_id, const std::string& flag) {
  std::string known;
  for (const auto& e : RegisteredEnvs()) {
    if (e.id == env_id) return;
    known += (known.empty() ? "" : ", ") + e.id;
  }
  throw ConfigError(flag + ": unknown environment '" + env_id + "'; registered: " + known);
}

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
