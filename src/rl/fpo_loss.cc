#include "rl/fpo_loss.h"

#include "rl/ppo_loss.h"

namespace s2r::rl {

FpoLossTerms FpoLoss(const torch::Tensor& cfm_new, const torch::Tensor& cfm_old,
                     const torch::Tensor& advantages, const torch::Tensor& new_value,
                     const torch::Tensor& old_value, const torch::Tensor& returns, const FpoLossOptions& o) {
  FpoLossTerms t;
  auto d = cfm_old - cfm_new;  // [B, S]
  if (o.logratio_clip) d = torch::clamp(d, -*o.logratio_clip, *o.logratio_clip);
  // [B, S] per pair, or [B] per action; the advantage broadcasts over the pairs.
  const auto logratio = o.per_sample_ratio ? d : d.mean(1);
  const auto adv = o.per_sample_ratio ? advantages.unsqueeze(1) : advantages;
  const auto ratio = logratio.exp();
  {
    torch::NoGradGuard no_grad;
    t.old_approx_kl = (-logratio).mean();
    t.approx_kl = ((ratio - 1) - logratio).mean();
    t.clipfrac = ((ratio - 1.0).abs() > o.clip_coef).to(torch::kFloat32).mean();
    t.cfm_loss = cfm_new.mean();
    t.ratio_mean = ratio.mean();
    t.ratio_min = ratio.min();
    t.ratio_max = ratio.max();
    const auto raw = (cfm_old - cfm_new).abs();
    t.logratio_clipfrac = o.logratio_clip ? (raw > *o.logratio_clip).to(torch::kFloat32).mean()
                                          : torch::zeros({}, cfm_new.options());
  }
  const auto pg1 = -adv * ratio;
  const auto pg2 = -adv * torch::clamp(ratio, 1 - o.clip_coef, 1 + o.clip_coef);
  auto pg = torch::max(pg1, pg2);
  if (o.aspo) {
    const auto spo = -(adv * ratio - adv.abs() / (2 * o.clip_coef) * (ratio - 1).pow(2));
    pg = torch::where(adv < 0, spo, pg);
  }
  t.policy_loss = pg.mean();
  t.value_loss = ValueLoss(new_value, old_value, returns, o.clip_coef, o.clip_vloss);
  t.loss = t.policy_loss + o.vf_coef * t.value_loss;
  if (o.cfm_coef != 0) t.loss = t.loss + o.cfm_coef * cfm_new.mean();
  return t;
}

}  // namespace s2r::rl
