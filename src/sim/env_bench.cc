#include "sim/env_bench.h"

#include <chrono>
#include <vector>

#include "core/rng.h"
#include "core/so100_layout.h"
#include "sim/env_registry.h"
#include "sim/grasp_cube_env.h"

namespace s2r::sim {

namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

void FillActions(Rng& rng, std::vector<float>& a) {
  for (auto& v : a) v = static_cast<float>(rng.Uniform(-1.0, 1.0));
}

}  // namespace

EnvBenchResult BenchEngine(const std::string& env_id, const GraspCubeConfig& cfg, int num_envs, int threads,
                           double seconds, uint64_t seed) {
  VecEnvConfig vcfg;
  vcfg.num_envs = num_envs;
  vcfg.num_threads = threads;
  vcfg.seed = seed;
  auto venv = MakeVecEnv(env_id, cfg, vcfg);
  Rng rng(seed);
  std::vector<float> actions(static_cast<size_t>(num_envs * venv->spec().action_dim));
  EnvBenchResult r;
  const auto t0 = Clock::now();
  do {  // whole episodes (the envs reset themselves at max_episode_steps)
    for (int k = 0; k < venv->spec().max_episode_steps; ++k) {
      FillActions(rng, actions);
      venv->Step(actions.data());
      r.steps += num_envs;
    }
  } while (Since(t0) < seconds);
  r.seconds = Since(t0);
  r.steps_per_sec = static_cast<double>(r.steps) / r.seconds;
  return r;
}

EnvBenchResult BenchRawMujoco(const GraspCubeConfig& cfg, int num_envs, double seconds, uint64_t seed) {
  auto scene = LoadGraspCubeScene(cfg);
  const mjModel* m = scene->model.get();
  const GraspCubeIds& id = scene->ids;
  std::vector<MjDataPtr> data;
  for (int i = 0; i < num_envs; ++i) data.push_back(MakeData(m));
  auto reset = [&](mjData* d) {
    mj_resetData(m, d);
    for (int j = 0; j < so100::kNumJoints; ++j)
      d->qpos[id.qpos_adr[j]] = d->ctrl[id.actuator[j]] = so100::kRestQpos[j];
    d->qpos[id.cube_qpos_adr + 0] = cfg.spawn_box_pos[0];
    d->qpos[id.cube_qpos_adr + 1] = cfg.spawn_box_pos[1];
    d->qpos[id.cube_qpos_adr + 2] = kDefaultCubeHalfSize;
  };
  for (auto& d : data) reset(d.get());
  Rng rng(seed);
  std::vector<float> actions(static_cast<size_t>(num_envs * so100::kNumJoints));
  EnvBenchResult r;
  const auto t0 = Clock::now();
  do {  // whole episodes, as BenchEngine
    for (int k = 0; k < cfg.max_episode_steps; ++k) {
      FillActions(rng, actions);
      for (int i = 0; i < num_envs; ++i) {
        mjData* d = data[static_cast<size_t>(i)].get();
        for (int j = 0; j < so100::kNumJoints; ++j) {
          const double step =
              j < so100::kNumArmJoints ? so100::kArmDeltaPerStep : so100::kGripperDeltaPerStep;
          d->ctrl[id.actuator[j]] += step * actions[static_cast<size_t>(i * so100::kNumJoints + j)];
        }
        for (int s = 0; s < kSubsteps; ++s) mj_step(m, d);
      }
      r.steps += num_envs;
    }
    for (auto& d : data) reset(d.get());
  } while (Since(t0) < seconds);
  r.seconds = Since(t0);
  r.steps_per_sec = static_cast<double>(r.steps) / r.seconds;
  return r;
}

double MemoryPerEnvBytes(const GraspCubeConfig& cfg) {
  EnvMaker maker = MakeGraspCube(cfg);
  const auto env = maker.factory(0, 0);
  const mjModel* m = env->model();
  const mjData* d = env->data();
  // Each env owns a model copy and its mjData (arena and stack); the engine adds its batch slots:
  // obs and final_obs, info and final_info, reward (float32) and 4 flags, elapsed steps, a counter.
  const double sim =
      static_cast<double>(sizeof(mjModel) + static_cast<size_t>(m->nbuffer) + sizeof(mjData) +
                          static_cast<size_t>(d->nbuffer) + sizeof(mjtNum) * static_cast<size_t>(d->nstack));
  const double slots =
      4.0 * (2 * maker.spec.obs_dim + 2 * static_cast<double>(maker.spec.info_names.size()) + 1) + 4 + 4 + 8;
  return sim + slots + sizeof(GraspCubeEnv);
}

}  // namespace s2r::sim
