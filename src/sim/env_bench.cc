#include "sim/env_bench.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <vector>

#include "core/rng.h"
#include "sim/env_registry.h"

namespace s2r::sim {

namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

void FillActions(Rng& rng, std::vector<float>& a) {
  for (auto& v : a) v = static_cast<float>(rng.Uniform(-1.0, 1.0));
}

}  // namespace

EnvBenchResult BenchEngine(const std::string& env_id, const EnvConfig& cfg, int num_envs, int threads,
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

EnvBenchResult BenchRawMujoco(const std::string& env_id, const EnvConfig& cfg, int num_envs, double seconds,
                              uint64_t seed) {
  EnvMaker maker = MakeEnv(env_id, cfg);
  const auto env = maker.factory(seed, 0);  // its reset state is every raw env's start
  const mjModel* m = env->model();
  const int substeps =
      std::max(1, static_cast<int>(std::lround(1.0 / (maker.spec.control_freq * m->opt.timestep))));
  std::vector<double> step(static_cast<size_t>(m->nu), 1.0);  // per control step, the ctrl's walk
  for (int k = 0; k < m->nu; ++k)
    if (m->actuator_ctrllimited[k])
      step[static_cast<size_t>(k)] = (m->actuator_ctrlrange[2 * k + 1] - m->actuator_ctrlrange[2 * k]) / 40.0;
  std::vector<MjDataPtr> data;
  for (int i = 0; i < num_envs; ++i) data.push_back(MakeData(m));
  auto reset = [&](mjData* d) { mj_copyData(d, m, env->data()); };
  for (auto& d : data) reset(d.get());
  Rng rng(seed);
  std::vector<float> actions(static_cast<size_t>(num_envs * m->nu));
  EnvBenchResult r;
  const auto t0 = Clock::now();
  do {  // whole episodes, as BenchEngine
    for (int k = 0; k < maker.spec.max_episode_steps; ++k) {
      FillActions(rng, actions);
      for (int i = 0; i < num_envs; ++i) {
        mjData* d = data[static_cast<size_t>(i)].get();
        for (int j = 0; j < m->nu; ++j) {
          double& c = d->ctrl[j];
          c += step[static_cast<size_t>(j)] * actions[static_cast<size_t>(i * m->nu + j)];
          if (m->actuator_ctrllimited[j])
            c = std::clamp(c, m->actuator_ctrlrange[2 * j], m->actuator_ctrlrange[2 * j + 1]);
        }
        for (int s = 0; s < substeps; ++s) mj_step(m, d);
      }
      r.steps += num_envs;
    }
    for (auto& d : data) reset(d.get());
  } while (Since(t0) < seconds);
  r.seconds = Since(t0);
  r.steps_per_sec = static_cast<double>(r.steps) / r.seconds;
  return r;
}

double MemoryPerEnvBytes(const std::string& env_id, const EnvConfig& cfg) {
  EnvMaker maker = MakeEnv(env_id, cfg);
  const auto env = maker.factory(0, 0);
  const mjModel* m = env->model();
  const mjData* d = env->data();
  // Each env owns a model copy and its mjData (arena and stack); the engine adds its batch slots:
  // obs and final_obs, info and final_info, reward (float32) and 4 flags, elapsed steps, a counter; the
  // task's own state is small beside them (not counted).
  const double sim =
      static_cast<double>(sizeof(mjModel) + static_cast<size_t>(m->nbuffer) + sizeof(mjData) +
                          static_cast<size_t>(d->nbuffer) + sizeof(mjtNum) * static_cast<size_t>(d->nstack));
  const double slots =
      4.0 * (2 * maker.spec.obs_dim + 2 * static_cast<double>(maker.spec.info_names.size()) + 1) + 4 + 4 + 8;
  return sim + slots;
}

}  // namespace s2r::sim
