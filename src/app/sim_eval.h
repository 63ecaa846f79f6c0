// Evaluating a checkpoint in simulation (shared by `sim2real eval` and `train --ppo.evaluate`).
#pragma once

#include <memory>
#include <string>

#include "app/policy_loader.h"  // RequireCompatible, RequireCanSample
#include "rl/evaluate.h"
#include "rl/policy.h"
#include "sim/env_config.h"

namespace s2r::app {

struct SimEvalOptions {
  std::string checkpoint;
  int num_episodes = 16;
  int num_envs = 16;
  uint64_t seed = 1;
  bool deterministic = true;
  std::string record_dir;  // empty: no video
  std::string trace_csv;   // empty: no trace; else a CSV row per env and step (obs, action, reward, success)
  int threads = 0;
};

struct SimEvalResult {
  rl::CheckpointMeta meta;
  rl::EvalStats stats;
  std::string video;
};

// Evaluates opt.checkpoint on env `env_id` with `env_cfg_in` (its obs mode and image size taken from the
// checkpoint). `policy`: the checkpoint already loaded by the caller (null: loaded here).
SimEvalResult RunSimEval(const sim::EnvConfig& env_cfg_in, const std::string& env_id,
                         const SimEvalOptions& opt, std::unique_ptr<rl::Policy> policy = nullptr);
void PrintSimEval(const SimEvalResult& r, bool json);

}  // namespace s2r::app
