#include "sim/env_registry.h"

#include <algorithm>
#include <array>

#include "core/error.h"
#include "sim/grasp_cube_env.h"
#include "sim/jetbot_env.h"
#include "sim/scripted_drive.h"
#include "sim/scripted_grasp.h"

namespace s2r::sim {

namespace {

// What the registry builds for one env id.
struct Task {
  const char* id;
  EnvSpec (*spec)(const EnvConfig& cfg, const char* env_id);
  EnvMaker (*make)(const EnvConfig& cfg, const char* env_id);
  std::unique_ptr<ScriptedController> (*scripted)(const MjEnv& env);
};

// A task's own config type from the generic one it was given (the registry is the one place that knows
// which type each id takes); another task's config is a ConfigError, not undefined behaviour.
template <typename Config>
const Config& TaskConfig(const EnvConfig& cfg, const char* env_id) {
  const auto* c = dynamic_cast<const Config*>(&cfg);
  if (c == nullptr)
    throw ConfigError(std::string("env '") + env_id +
                      "' was given another task's env config; build it from DefaultEnvConfig(\"" + env_id +
                      "\")");
  return *c;
}

EnvSpec GraspCubeSpecOf(const EnvConfig& cfg, const char* env_id) {
  return GraspCubeSpec(TaskConfig<GraspCubeConfig>(cfg, env_id));
}
EnvMaker MakeGraspCubeOf(const EnvConfig& cfg, const char* env_id) {
  return MakeGraspCube(TaskConfig<GraspCubeConfig>(cfg, env_id));
}

// Both Jetbot ids take a JetbotConfig; its task must be the id's (the defaults differ).
const JetbotConfig& JetbotConfigOf(const EnvConfig& cfg, const char* env_id) {
  const JetbotConfig& c = TaskConfig<JetbotConfig>(cfg, env_id);
  if (JetbotEnvId(c.task) != env_id)
    throw ConfigError(std::string("env '") + env_id + "' was given the config of " +
                      std::string(JetbotEnvId(c.task)) + "; build it from DefaultEnvConfig(\"" + env_id +
                      "\")");
  return c;
}
EnvSpec JetbotSpecOf(const EnvConfig& cfg, const char* env_id) {
  return JetbotSpec(JetbotConfigOf(cfg, env_id));
}
EnvMaker MakeJetbotOf(const EnvConfig& cfg, const char* env_id) {
  return MakeJetbot(JetbotConfigOf(cfg, env_id));
}

std::unique_ptr<ScriptedController> MakeScriptedGrasp(const MjEnv& env) {
  return std::make_unique<ScriptedGrasp>(env.model());
}

const Task& TaskOf(const std::string& env_id) {
  static const std::array<Task, 3> tasks = {{
      {kGraspCubeId, GraspCubeSpecOf, MakeGraspCubeOf, MakeScriptedGrasp},
      {kJetbotDirectId, JetbotSpecOf, MakeJetbotOf, MakeScriptedDrive},
      {kJetbotGoalId, JetbotSpecOf, MakeJetbotOf, MakeScriptedDrive},
  }};
  RequireRegisteredEnv(env_id, "--env-id");
  const auto it = std::find_if(tasks.begin(), tasks.end(), [&](const Task& t) { return env_id == t.id; });
  S2R_CHECK(it != tasks.end(), "env '" << env_id << "' is registered (env_ids.cc) but has no Task here");
  return *it;
}

}  // namespace

EnvMaker MakeGraspCube(const GraspCubeConfig& cfg) {
  cfg.Validate("env config");
  return MakeSharedSceneEnvs<GraspCubeEnv>(cfg, GraspCubeSpec(cfg), LoadGraspCubeScene(cfg));
}

EnvMaker MakeEnv(const std::string& env_id, const EnvConfig& cfg) {
  const Task& t = TaskOf(env_id);
  return t.make(cfg, t.id);
}

EnvSpec MakeEnvSpec(const std::string& env_id, const EnvConfig& cfg) {
  const Task& t = TaskOf(env_id);
  return t.spec(cfg, t.id);
}

std::unique_ptr<VecEnv> MakeVecEnv(const std::string& env_id, const EnvConfig& cfg,
                                   const VecEnvConfig& vcfg) {
  EnvMaker maker = MakeEnv(env_id, cfg);
  return std::make_unique<VecEnv>(maker.spec, maker.factory, vcfg);
}

std::unique_ptr<ScriptedController> MakeScripted(const std::string& env_id, const MjEnv& env) {
  return TaskOf(env_id).scripted(env);
}

}  // namespace s2r::sim
