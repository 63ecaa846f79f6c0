#include "rl/gae.h"

namespace s2r::rl {

torch::Tensor ComputeGae(const torch::Tensor& rewards, const torch::Tensor& values,
                         const torch::Tensor& dones, const torch::Tensor& final_values,
                         const torch::Tensor& next_value, const torch::Tensor& next_done, double gamma,
                         double gae_lambda, bool finite_horizon) {
  const int64_t T = rewards.size(0);
  auto advantages = torch::zeros_like(rewards);
  auto lastgaelam = torch::zeros_like(next_value);
  // Finite-horizon variant: the lambda-weighted sums restart at every episode boundary.
  auto lam_coef_sum = torch::zeros_like(next_value);
  auto reward_term_sum = torch::zeros_like(next_value);
  auto value_term_sum = torch::zeros_like(next_value);
  for (int64_t t = T - 1; t >= 0; --t) {
    torch::Tensor next_not_done, next_values;
    if (t == T - 1) {
      next_not_done = 1.0 - next_done;
      next_values = next_value;
    } else {
      next_not_done = 1.0 - dones[t + 1];
      next_values = values[t + 1];
    }
    // The value after step t: the next observation's value, or the final observation's at a done.
    const auto real_next_values = next_not_done * next_values + final_values[t];
    if (finite_horizon) {
      lam_coef_sum = 1.0 + gae_lambda * lam_coef_sum * next_not_done;
      reward_term_sum = gae_lambda * gamma * reward_term_sum * next_not_done + lam_coef_sum * rewards[t];
      value_term_sum = gae_lambda * gamma * value_term_sum * next_not_done + gamma * real_next_values;
      advantages[t] = (reward_term_sum + value_term_sum) / lam_coef_sum - values[t];
    } else {
      const auto delta = rewards[t] + gamma * real_next_values - values[t];
      lastgaelam = delta + gamma * gae_lambda * next_not_done * lastgaelam;
      advantages[t] = lastgaelam;
    }
  }
  return advantages;
}

}  // namespace s2r::rl
