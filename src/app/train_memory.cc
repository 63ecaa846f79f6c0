#include "app/train_memory.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "sim/env_bench.h"
#include "sim/env_registry.h"

namespace s2r::app {

namespace {
std::string GiB(double bytes) {
  char b[32];
  std::snprintf(b, sizeof(b), "%.1f GiB", bytes / (1024.0 * 1024.0 * 1024.0));
  return b;
}
}  // namespace

TrainMemory EstimateTrainMemory(const rl::PpoConfig& c, const std::string& env_id,
                                const sim::EnvConfig& env_cfg, int distill_buffer) {
  const sim::EnvSpec spec = sim::MakeEnvSpec(env_id, env_cfg);
  const double image = 3.0 * spec.image_width * spec.image_height;  // uint8 [H, W, 3] (0 without a camera)
  // float32: the observation and the privileged one (a distillation teacher's state) beside it
  const double obs = 4.0 * (spec.obs_dim + static_cast<double>(spec.privileged_obs_names.size()));
  // Each env: the simulation, its batch slots, and its image in the batch buffer and the render target.
  const double per_env = sim::MemoryPerEnvBytes(env_id, env_cfg) + 2 * image;
  TrainMemory m;
  m.env_bytes = per_env * (static_cast<double>(c.num_envs) + c.num_eval_envs);
  // Per stored step: observation(s), image, action and log-prob or label (action_dim + 1 floats), value,
  // reward, done, advantage and return (5 floats).
  const double per_step = obs + image + 4.0 * (spec.action_dim + 1 + 5);
  const double steps = static_cast<double>(c.num_envs) * c.num_steps;
  m.rollout_bytes = per_step * steps * std::max(1, distill_buffer);  // distillation: its replay only
  return m;
}

double AvailableMemoryBytes() {
  std::ifstream in("/proc/meminfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream s(line);
    std::string key;
    double kib = 0;
    if (s >> key >> kib && key == "MemAvailable:") return kib * 1024.0;
  }
  return -1;
}

void RequireMemoryFits(const TrainMemory& need, double available, const rl::PpoConfig& c) {
  if (available < 0 || need.total() <= available) return;
  throw ConfigError("--ppo.num-envs " + std::to_string(c.num_envs) + " x --ppo.num-steps " +
                    std::to_string(c.num_steps) + ": this run needs at least " + GiB(need.total()) +
                    " (envs " + GiB(need.env_bytes) + ", rollout storage " + GiB(need.rollout_bytes) +
                    ") but " + GiB(available) +
                    " is available (MemAvailable in /proc/meminfo); lower --ppo.num-envs or --ppo.num-steps, "
                    "or the camera resolution (sensor_configs)");
}

}  // namespace s2r::app
