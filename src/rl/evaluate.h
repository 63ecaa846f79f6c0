// Evaluation episodes on a batch of envs with any policy (the live agent during training, a loaded
// checkpoint in `sim2real eval`), with the reference's eval metrics and an optional MP4 of the batch.
#pragma once

#include <functional>
#include <string>

#include "rl/env_batch.h"

namespace s2r::rl {

struct EvalStats {
  int episodes = 0;           // episodes that ended during the evaluation (else the running ones)
  double success_once = 0;    // fraction of episodes that succeeded at some step
  double success_at_end = 0;  // fraction that were in success at their last step
  double return_mean = 0;     // sum of rewards per episode
  double episode_len = 0;     // steps per episode
  double reward = 0;          // return / episode length
};

// acts on the whole batch: obs [N, D], image [N, H, W, 3] or null -> actions [N, A] in [-1, 1]
using ActFn = std::function<void(const float* obs, const uint8_t* image, float* actions)>;

struct EvalVideoOptions {
  std::string path;           // empty: no video
  bool policy_camera = true;  // tiles show the policy camera beside the 512x512 view ("all")
  int view_size = 512;
};

// Resets `envs`, runs `num_steps` control steps with `act`, and returns the metrics of the episodes.
EvalStats RunEvaluation(EnvBatch& envs, int num_steps, const ActFn& act, const EvalVideoOptions& video = {});

}  // namespace s2r::rl
