// The FPO minibatch loss (torch): PPO's clipped surrogate with the likelihood ratio replaced by the
// flow-matching ratio of Flow Policy Optimization (McAllister et al. 2025, Alg. 1).
//   d_i  = clamp(L_old_i - L_new_i, -c, c)       per (tau, eps) pair i, c = logratio_clip (none: no clamp)
//   mean ratio (default):  log r = mean_i d_i,  r = exp(log r)  -> one ratio per action
//   per-sample ratio:      r_i = exp(d_i), the surrogate is taken per pair with the action's advantage
// A clamped pair contributes no gradient (the clamp is flat there): an extra trust region.
// Surrogate per ratio r and advantage A (eps = clip_coef): PPO's  -min(r A, clip(r, 1-eps, 1+eps) A);
// with aspo (FPO++'s asymmetric variant) actions with A < 0 use SPO's  -(r A - |A| / (2 eps) (r - 1)^2)
// instead, whose quadratic term pulls r back towards 1 where PPO's clip would leave it free to drift.
// approx_kl = mean((r - 1) - log r) and old_approx_kl = mean(-log r) from the FPO log-ratio (there is no
// density); their scale depends on the CFM loss, so Gaussian-PPO target_kl values do not transfer.
// There is no entropy term: a flow policy has no tractable entropy.
// cfm_coef adds cfm_coef * mean(L_new): the flow keeps fitting the rollout's own samples (maximum
// likelihood on them, through the bound). Without it nothing stops the update from raising the CFM loss of
// negative-advantage actions by loosening the bound rather than moving probability; too large a weight
// shrinks the samples' spread instead (bench/results/README.md). Default 0: off.
#pragma once

#include <torch/torch.h>

#include <optional>

namespace s2r::rl {

struct FpoLossTerms {
  torch::Tensor loss;                                // scalar, to minimize
  torch::Tensor policy_loss, value_loss;             // scalars
  torch::Tensor old_approx_kl, approx_kl, clipfrac;  // scalars, no gradient
  torch::Tensor cfm_loss;                            // mean L_new, no gradient
  torch::Tensor ratio_mean, ratio_min, ratio_max;    // of the ratios used in the surrogate, no gradient
  torch::Tensor logratio_clipfrac;                   // fraction of pairs whose log-ratio was clamped
};

struct FpoLossOptions {
  double clip_coef = 0.2;
  std::optional<double> logratio_clip;  // c; none: no clamp
  bool per_sample_ratio = false;
  bool aspo = false;      // SPO's surrogate for negative advantages (FPO++)
  double cfm_coef = 0.0;  // weight of mean(L_new) in the loss (self-fit of the rollout's samples)
  bool clip_vloss = false;
  double vf_coef = 0.5;
};

// cfm_new, cfm_old: [B, S] per-pair CFM losses under the current and the rollout policy; advantages [B]
// (normalized by the caller if norm_adv); new/old values and returns [B].
FpoLossTerms FpoLoss(const torch::Tensor& cfm_new, const torch::Tensor& cfm_old,
                     const torch::Tensor& advantages, const torch::Tensor& new_value,
                     const torch::Tensor& old_value, const torch::Tensor& returns, const FpoLossOptions& o);

}  // namespace s2r::rl
