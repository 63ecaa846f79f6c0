#include "sim/env_ids.h"

#include "core/error.h"
#include "sim/grasp_cube_config.h"
#include "sim/jetbot_config.h"

namespace s2r::sim {

const std::vector<EnvInfo>& RegisteredEnvs() {
  static const std::vector<EnvInfo> envs = {
      {kGraspCubeId,
       "SO-100 arm grasps a ~2.5 cm cube on a table and lifts it back toward its rest pose "
       "(200 Hz physics, 20 Hz control, 64-step episodes)",
       {"state", "rgb"},
       {"pd_joint_target_delta_pos", "pd_joint_delta_pos", "pd_joint_pos"},
       "joint target deltas: +-0.05 rad arm, +-0.2 rad gripper per step",
       []() -> std::unique_ptr<EnvConfig> { return std::make_unique<GraspCubeConfig>(); }},
      {kJetbotDirectId,
       "Jetbot drives to a red block in a room, the seed's Isaac Lab task as it was: fixed start 0.9 m away, "
       "reward exp(1/d) - 30, no randomization, camera refreshed every 0.1 s (60 Hz physics, 30 Hz control, "
       "150-step episodes, timeout only)",
       {"state", "rgb"},
       {"motor_duty"},
       "wheel duties [left, right], jetbot's set_motors values, through a DC-motor model",
       []() -> std::unique_ptr<EnvConfig> {
         return std::make_unique<JetbotConfig>(JetbotDefaults(JetbotTask::kDirect));
       }},
      {kJetbotGoalId,
       "Jetbot drives to a red block drawn in front of it (0.35-1 m, +-0.5 rad), from a jittered pose, with "
       "domain randomization: success within 0.15 m, bounded shaped reward, ends on success or at a wall "
       "(60 Hz physics, 30 Hz control, 150-step episodes)",
       {"state", "rgb"},
       {"motor_duty"},
       "wheel duties [left, right], jetbot's set_motors values, through a DC-motor model",
       []() -> std::unique_ptr<EnvConfig> {
         return std::make_unique<JetbotConfig>(JetbotDefaults(JetbotTask::kGoal));
       }},
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
