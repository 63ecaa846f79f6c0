#include "sim/env_ids.h"

#include "core/error.h"
#include "sim/grasp_cube_config.h"

namespace s2r::sim {

const std::vector<EnvInfo>& RegisteredEnvs() {
  static const std::vector<EnvInfo> envs = {
      {kGraspCubeId,
       "SO-100 arm grasps a ~2.5 cm cube on a table and lifts it back toward its rest pose "
       "(200 Hz physics, 20 Hz control, 64-step episodes)",
       {"state", "rgb"},
       {"pd_joint_target_delta_pos", "pd_joint_delta_pos", "pd_joint_pos"},
       [] -> std::unique_ptr<EnvConfig> { return std::make_unique<GraspCubeConfig>(); }},
  };
  return envs;
}

std::unique_ptr<EnvConfig> DefaultEnvConfig(const std::string& env_id, const std::string& flag) {
  RequireRegisteredEnv(env_id, flag);
  for (const auto& e : RegisteredEnvs())
    if (e.id == env_id) return e.default_config();
  return nullptr;  // not reached: RequireRegisteredEnv threw
}

void RequireRegisteredEnv(const std::string& env_id, const std::string& flag) {
  std::string known;
  for (const auto& e : RegisteredEnvs()) {
    if (e.id == env_id) return;
    known += (known.empty() ? "" : ", ") + e.id;
  }
  throw ConfigError(flag + ": unknown environment '" + env_id + "'; registered: " + known);
}

}  // namespace s2r::sim
