// Generalized advantage estimation over a rollout, shared by PPO and FPO (torch).
#pragma once

#include <torch/torch.h>

namespace s2r::rl {

// rewards, values, final_values: [T, N] float; dones: [T, N] float, dones[t] = 1 if obs t is the first of
// a new episode (the env was reset after step t - 1); final_values[t] = value of the final observation of
// an episode that ended at step t (0 elsewhere); next_value, next_done: [N] for the observation after the
// rollout. At every done the final observation's value is bootstrapped, whether the episode terminated or
// was truncated (the reference's choice). Returns advantages [T, N]; returns = advantages + values.
torch::Tensor ComputeGae(const torch::Tensor& rewards, const torch::Tensor& values,
                         const torch::Tensor& dones, const torch::Tensor& final_values,
                         const torch::Tensor& next_value, const torch::Tensor& next_done, double gamma,
                         double gae_lambda, bool finite_horizon);

}  // namespace s2r::rl
