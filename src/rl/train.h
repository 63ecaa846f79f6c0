// The on-policy training loops: PPO (ppo.cc) and FPO (fpo.cc). Both take the same config (the --ppo.*
// flags; FPO's own flags are --ppo.fpo-*) and leave the same run folder behind.
#pragma once

#include <string>

#include "rl/env_batch.h"
#include "rl/ppo.h"

namespace s2r::rl {

struct TrainOutcome {
  int64_t global_step = 0;
  int64_t iterations = 0;
  double best_eval_success_once = 0;
  double last_eval_success_once = 0;
  double seconds = 0;
  std::string final_checkpoint;
};

// Trains `cfg` on `envs`, evaluating on `eval_envs` every eval_freq iterations, writing checkpoints,
// logs, plots and videos into run_dir. config_json is stored in the checkpoints (the app's rendering of
// the config). With cfg.resume_training, cfg.checkpoint's weights, optimizer and step count are restored.
TrainOutcome TrainPpo(const PpoConfig& cfg, const std::string& config_json, const std::string& run_dir,
                      EnvBatch& envs, EnvBatch& eval_envs);
TrainOutcome TrainFpo(const PpoConfig& cfg, const std::string& config_json, const std::string& run_dir,
                      EnvBatch& envs, EnvBatch& eval_envs);

}  // namespace s2r::rl
