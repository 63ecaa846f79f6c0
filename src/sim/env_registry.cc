#include "sim/env_registry.h"

#include <algorithm>
#include <array>

#include "core/error.h"
#include "sim/grasp_cube_env.h"
#include "sim/scripted_grasp.h"

namespace s2r::sim {

namespace {

// What the registry builds for one env id.
struct Task {
  const char* id;
  EnvSpec (*spec)(const GraspCubeConfig& cfg);
  EnvMaker (*make)(const GraspCubeConfig& cfg);
  std::unique_ptr<ScriptedController> (*scripted)(const MjEnv& env);
};

std::unique_ptr<ScriptedController> MakeScriptedGrasp(const MjEnv& env) {
  return std::make_unique<ScriptedGrasp>(env.model());
}

const Task& TaskOf(const std::string& env_id) {
  static const std::array<Task, 1> tasks = {
      {{kGraspCubeId, GraspCubeSpec, MakeGraspCube, MakeScriptedGrasp}}};
  RequireRegisteredEnv(env_id, "--env-id");
  const auto it = std::find_if(tasks.begin(), tasks.end(), [&](const Task& t) { return env_id == t.id; });
  S2R_CHECK(it != tasks.end(), "env '" << env_id << "' is registered (env_ids.cc) but has no Task here");
  return *it;
}

}  // namespace

EnvMaker MakeGraspCube(const GraspCubeConfig& cfg) {
  cfg.Validate("env config");
  auto shared_cfg = std::make_shared<const GraspCubeConfig>(cfg);
  auto scene = LoadGraspCubeScene(cfg);
  EnvMaker maker;
  maker.spec = GraspCubeSpec(cfg);
  maker.factory = [shared_cfg, scene](uint64_t seed, int index) -> std::unique_ptr<MjEnv> {
    return std::make_unique<GraspCubeEnv>(scene, shared_cfg, seed, index);
  };
  return maker;
}

EnvMaker MakeEnv(const std::string& env_id, const GraspCubeConfig& cfg) { return TaskOf(env_id).make(cfg); }

EnvSpec MakeEnvSpec(const std::string& env_id, const GraspCubeConfig& cfg) {
  return TaskOf(env_id).spec(cfg);
}

std::unique_ptr<VecEnv> MakeVecEnv(const std::string& env_id, const GraspCubeConfig& cfg,
                                   const VecEnvConfig& vcfg) {
  EnvMaker maker = MakeEnv(env_id, cfg);
  return std::make_unique<VecEnv>(maker.spec, maker.factory, vcfg);
}

std::unique_ptr<ScriptedController> MakeScripted(const std::string& env_id, const MjEnv& env) {
  return TaskOf(env_id).scripted(env);
}

}  // namespace s2r::sim
