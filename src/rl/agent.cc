#include "rl/agent.h"

#include <cmath>
#include <string>

#include "rl/networks.h"

namespace s2r::rl {

AgentImpl::AgentImpl(const AgentSpec& spec) : spec_(spec) {
  const int a = spec.action_dim;
  const double small = 0.01 * std::sqrt(2.0);  // the actor head starts near zero
  if (spec.rgb()) {
    const int feat = RegisterImageEncoders(*this, spec.obs_dim, spec.image_height, spec.image_width,
                                           spec.include_state, &cnn_, &state_fc_);
    actor_ = MakeMlp(feat, 512, 1, a, small, "relu");
    critic_ = MakeMlp(feat, 512, 1, 1, 1.0, "relu");
  } else {
    actor_ = MakeMlp(spec.obs_dim, 256, 3, a, small, "tanh");
    critic_ = MakeMlp(spec.obs_dim, 256, 3, 1, 1.0, "tanh");
  }
  register_module("actor_mean", actor_);
  register_module("critic", critic_);
  actor_logstd = register_parameter("actor_logstd", torch::full({1, a}, -0.5));
  if (spec.norm_obs) obs_norm_ = register_module("obs_norm", ObsNormalizer(spec.obs_dim));
}

torch::Tensor AgentImpl::Features(const torch::Tensor& raw_obs, const torch::Tensor& image) {
  const auto obs = obs_norm_ ? obs_norm_->forward(raw_obs) : raw_obs;
  return spec_.rgb() ? EncodeImageAndState(cnn_, state_fc_, obs, image) : obs;
}

torch::Tensor AgentImpl::Value(const torch::Tensor& obs, const torch::Tensor& image) {
  return critic_->forward(Features(obs, image)).squeeze(1);
}

torch::Tensor AgentImpl::ActionMean(const torch::Tensor& obs, const torch::Tensor& image) {
  return actor_->forward(Features(obs, image));
}

ActionSample AgentImpl::ActionAndValue(const torch::Tensor& obs, const torch::Tensor& image,
                                       const torch::Tensor& action) {
  const auto f = Features(obs, image);
  const auto mean = actor_->forward(f);
  const auto logstd = actor_logstd.expand_as(mean);
  const auto std = logstd.exp();
  ActionSample s;
  s.action = action.defined() ? action : mean + std * torch::randn_like(mean);
  // Diagonal Gaussian: log N(a; mean, std) summed over action dimensions.
  const double log_2pi = std::log(2.0 * M_PI);
  s.log_prob = (-0.5 * ((s.action - mean) / std).pow(2) - logstd - 0.5 * log_2pi).sum(1);
  s.entropy = (0.5 + 0.5 * log_2pi + logstd).sum(1);
  s.value = critic_->forward(f).squeeze(1);
  return s;
}

}  // namespace s2r::rl
