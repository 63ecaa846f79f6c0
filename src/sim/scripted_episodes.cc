#include "sim/scripted_episodes.h"

#include <algorithm>
#include <memory>
#include <vector>

#include "sim/env_registry.h"

namespace s2r::sim {

ScriptedStats RunScriptedEpisodes(const std::string& env_id, const EnvConfig& cfg, int episodes,
                                  uint64_t seed, int num_envs, int threads,
                                  const std::function<void(int)>& on_episode) {
  num_envs = std::max(1, std::min(num_envs, episodes));
  VecEnvConfig vcfg;
  vcfg.num_envs = num_envs;
  vcfg.num_threads = threads;
  vcfg.seed = seed;
  auto venv = MakeVecEnv(env_id, cfg, vcfg);
  const EnvSpec& spec = venv->spec();
  std::vector<std::unique_ptr<ScriptedController>> ctrl;
  for (int i = 0; i < num_envs; ++i) ctrl.push_back(MakeScripted(env_id, venv->env(i)));
  const auto grasp_term = std::find(spec.info_names.begin(), spec.info_names.end(), "is_grasped");
  const bool has_grasp = grasp_term != spec.info_names.end();
  const size_t grasp_index = static_cast<size_t>(grasp_term - spec.info_names.begin());
  const int a = spec.action_dim;
  std::vector<float> actions(static_cast<size_t>(num_envs * a));
  std::vector<int> played(static_cast<size_t>(num_envs), 0);
  std::vector<double> ret(static_cast<size_t>(num_envs), 0.0);
  std::vector<uint8_t> grasped(static_cast<size_t>(num_envs), 0);
  std::vector<int> steps(static_cast<size_t>(num_envs), 0);
  int done_episodes = 0, successes = 0, grasps = 0;
  int64_t success_steps = 0;
  double returns = 0;
  auto quota = [&](int i) { return (episodes - i + num_envs - 1) / num_envs; };
  while (done_episodes < episodes) {
    for (int i = 0; i < num_envs; ++i)
      ctrl[static_cast<size_t>(i)]->Act(venv->env(i), &actions[static_cast<size_t>(i * a)]);
    venv->Step(actions.data());
    const float* info = venv->info();
    const size_t k = spec.info_names.size();
    for (int i = 0; i < num_envs; ++i) {
      const size_t u = static_cast<size_t>(i);
      const bool done = venv->terminated()[u] || venv->truncated()[u];
      const float* inf = done ? venv->final_info() + u * k : info + u * k;
      ret[u] += venv->reward()[u];
      ++steps[u];
      if (has_grasp) grasped[u] |= inf[grasp_index] > 0.5f ? 1 : 0;
      if (!done) continue;
      ctrl[u]->Reset();
      if (played[u] < quota(i)) {
        ++played[u];
        ++done_episodes;
        returns += ret[u];
        grasps += grasped[u];
        if (venv->success()[u]) {
          ++successes;
          success_steps += steps[u];
        }
        if (on_episode) on_episode(done_episodes);
      }
      ret[u] = 0;
      grasped[u] = 0;
      steps[u] = 0;
    }
  }
  ScriptedStats s;
  s.episodes = done_episodes;
  s.success_rate = static_cast<double>(successes) / done_episodes;
  if (has_grasp) s.grasp_rate = static_cast<double>(grasps) / done_episodes;
  s.mean_return = returns / done_episodes;
  s.mean_success_step = successes ? static_cast<double>(success_steps) / successes : 0.0;
  s.diverged = venv->diverged_count();
  return s;
}

}  // namespace s2r::sim
