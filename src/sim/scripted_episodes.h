// Episodes of a task's scripted controller on a batch of its envs (`sim2real scripted`): the proof that
// the twin can do the task within the episode limit.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "sim/env_config.h"

namespace s2r::sim {

struct ScriptedStats {
  int episodes = 0;
  double success_rate = 0;  // episodes that succeeded at some step (the episode then ends)
  // Episodes in which the info term is_grasped was set at some step; none for a task without that term.
  std::optional<double> grasp_rate;
  double mean_return = 0;        // sum of the configured reward over the episode
  double mean_success_step = 0;  // control step of success, over successful episodes
  int64_t diverged = 0;
};

// Runs `episodes` episodes of env `env_id`'s scripted controller on a batch of `num_envs` envs (env i plays
// episodes i, i + N, ..., so the result depends only on the seed and num_envs). `on_episode(done)` reports
// progress. Throws ConfigError naming --env-id for an unregistered id.
ScriptedStats RunScriptedEpisodes(const std::string& env_id, const EnvConfig& cfg, int episodes,
                                  uint64_t seed, int num_envs, int threads,
                                  const std::function<void(int)>& on_episode = {});

}  // namespace s2r::sim
