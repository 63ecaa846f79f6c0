// A training run's memory need, checked against what the machine has before anything is allocated: a run
// that cannot fit is refused with the arithmetic (exit 2) instead of being killed by the kernel minutes in.
#pragma once

#include <cstdint>
#include <string>

#include "rl/ppo.h"
#include "sim/env_config.h"

namespace s2r::app {

struct TrainMemory {
  double env_bytes = 0;      // training + evaluation envs: MuJoCo model and data, batch slots, images
  double rollout_bytes = 0;  // the rollout storage (and distillation's replay of labelled batches)
  double total() const { return env_bytes + rollout_bytes; }
};

// A lower bound of the run's memory (networks, optimizer and minibatch copies come on top).
// distill_buffer: labelled batches distillation keeps (0 for PPO/FPO: one rollout).
TrainMemory EstimateTrainMemory(const rl::PpoConfig& c, const std::string& env_id,
                                const sim::EnvConfig& env_cfg, int distill_buffer);

// MemAvailable of /proc/meminfo in bytes; < 0 where it cannot be read.
double AvailableMemoryBytes();

// Throws ConfigError naming --ppo.num-envs / --ppo.num-steps and the figures when the estimate exceeds
// `available` bytes (skipped when available < 0).
void RequireMemoryFits(const TrainMemory& need, double available, const rl::PpoConfig& c);

}  // namespace s2r::app
