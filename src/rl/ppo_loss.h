// The PPO minibatch loss (torch): clipped surrogate, optional clipped value loss, entropy bonus.
#pragma once

#include <torch/torch.h>

namespace s2r::rl {

struct PpoLossTerms {
  torch::Tensor loss;                                // scalar, to minimize
  torch::Tensor policy_loss, value_loss, entropy;    // scalars
  torch::Tensor old_approx_kl, approx_kl, clipfrac;  // scalars, no gradient
};

// All inputs [B]: new/old log-probs, advantages (normalized by the caller if norm_adv), new/old values,
// returns, entropy. The surrogate is max(-A r, -A clip(r, 1 - c, 1 + c)) with r = exp(new - old).
// 0.5 (V - R)^2, or with clip_vloss the max of that and the clipped-value error (CleanRL). [B] -> scalar.
torch::Tensor ValueLoss(const torch::Tensor& new_value, const torch::Tensor& old_value,
                        const torch::Tensor& returns, double clip_coef, bool clip_vloss);

PpoLossTerms PpoLoss(const torch::Tensor& new_log_prob, const torch::Tensor& old_log_prob,
                     const torch::Tensor& advantages, const torch::Tensor& new_value,
                     const torch::Tensor& old_value, const torch::Tensor& returns,
                     const torch::Tensor& entropy, double clip_coef, bool clip_vloss, double ent_coef,
                     double vf_coef);

}  // namespace s2r::rl
