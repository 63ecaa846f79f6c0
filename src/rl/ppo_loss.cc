#include "rl/ppo_loss.h"

namespace s2r::rl {

torch::Tensor ValueLoss(const torch::Tensor& new_value, const torch::Tensor& old_value,
                        const torch::Tensor& returns, double clip_coef, bool clip_vloss) {
  if (!clip_vloss) return 0.5 * (new_value - returns).pow(2).mean();
  const auto unclipped = (new_value - returns).pow(2);
  const auto clipped = old_value + torch::clamp(new_value - old_value, -clip_coef, clip_coef);
  return 0.5 * torch::max(unclipped, (clipped - returns).pow(2)).mean();
}

PpoLossTerms PpoLoss(const torch::Tensor& new_log_prob, const torch::Tensor& old_log_prob,
                     const torch::Tensor& advantages, const torch::Tensor& new_value,
                     const torch::Tensor& old_value, const torch::Tensor& returns,
                     const torch::Tensor& entropy, double clip_coef, bool clip_vloss, double ent_coef,
                     double vf_coef) {
  PpoLossTerms t;
  const auto logratio = new_log_prob - old_log_prob;
  const auto ratio = logratio.exp();
  {
    torch::NoGradGuard no_grad;
    t.old_approx_kl = (-logratio).mean();
    t.approx_kl = ((ratio - 1) - logratio).mean();
    t.clipfrac = ((ratio - 1.0).abs() > clip_coef).to(torch::kFloat32).mean();
  }
  const auto pg1 = -advantages * ratio;
  const auto pg2 = -advantages * torch::clamp(ratio, 1 - clip_coef, 1 + clip_coef);
  t.policy_loss = torch::max(pg1, pg2).mean();
  t.value_loss = ValueLoss(new_value, old_value, returns, clip_coef, clip_vloss);
  t.entropy = entropy.mean();
  t.loss = t.policy_loss - ent_coef * t.entropy + t.value_loss * vf_coef;
  return t;
}

}  // namespace s2r::rl
