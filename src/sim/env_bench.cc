#include "sim/env_bench.h"

#include <unistd.h>

#include <chrono>
#include <fstream>
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

double ResidentBytes() {
  std::ifstream in("/proc/self/statm");
  long size = 0, resident = 0;
  in >> size >> resident;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

}  // namespace

EnvBenchResult BenchEngine(const GraspCubeConfig& cfg_in, int num_envs, int threads, double seconds, uint64_t seed) {
  GraspCubeConfig cfg = cfg_in;
  cfg.obs_mode = ObsMode::kState;
  VecEnvConfig vcfg;
  vcfg.num_envs = num_envs;
  vcfg.num_threads = threads;
  vcfg.seed = seed;
  auto venv = MakeVecEnv(kGraspCubeId, cfg, vcfg);
  Rng rng(seed);
  std::vector<float> actions(static_cast<size_t>(num_envs * venv->spec().action_dim));
  EnvBenchResult r;
  const auto t0 = Clock::now();
  do {
    for (int k = 0; k < 8; ++k) {
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
    for (int j = 0; j < so100::kNumJoints; ++j) d->qpos[id.qpos_adr[j]] = d->ctrl[id.actuator[j]] = so100::kRestQpos[j];
    d->qpos[id.cube_qpos_adr + 0] = cfg.spawn_box_pos[0];
    d->qpos[id.cube_qpos_adr + 1] = cfg.spawn_box_pos[1];
    d->qpos[id.cube_qpos_adr + 2] = kDefaultCubeHalfSize;
  };
  for (auto& d : data) reset(d.get());
  Rng rng(seed);
  std::vector<float> actions(static_cast<size_t>(num_envs * so100::kNumJoints));
  EnvBenchResult r;
  int step_in_episode = 0;
  const auto t0 = Clock::now();
  do {
    for (int k = 0; k < 8; ++k) {
      FillActions(rng, actions);
      for (int i = 0; i < num_envs; ++i) {
        mjData* d = data[static_cast<size_t>(i)].get();
        for (int j = 0; j < so100::kNumJoints; ++j) {
          const double step = j < so100::kNumArmJoints ? so100::kArmDeltaPerStep : so100::kGripperDeltaPerStep;
          d->ctrl[id.actuator[j]] += step * actions[static_cast<size_t>(i * so100::kNumJoints + j)];
        }
        for (int s = 0; s < kSubsteps; ++s) mj_step(m, d);
      }
      r.steps += num_envs;
      if (++step_in_episode == cfg.max_episode_steps) {
        step_in_episode = 0;
        for (auto& d : data) reset(d.get());
      }
    }
  } while (Since(t0) < seconds);
  r.seconds = Since(t0);
  r.steps_per_sec = static_cast<double>(r.steps) / r.seconds;
  return r;
}

double MemoryPerEnvBytes(const GraspCubeConfig& cfg, int num_envs) {
  EnvMaker maker = MakeGraspCube(cfg);
  const double before = ResidentBytes();
  VecEnvConfig vcfg;
  vcfg.num_envs = num_envs;
  VecEnv venv(maker.spec, maker.factory, vcfg);
  const double after = ResidentBytes();
  return (after - before) / num_envs;
}

}  // namespace s2r::sim
