#include "rl/flow_agent.h"

#include <cmath>

#include "rl/networks.h"

namespace s2r::rl {

FlowAgentImpl::FlowAgentImpl(const AgentSpec& spec) : spec_(spec) {
  const int a = spec.action_dim;
  const double small = 0.01 * std::sqrt(2.0);  // the velocity starts near zero: actions = the noise
  if (spec.rgb()) {
    const int feat = RegisterImageEncoders(*this, spec.obs_dim, spec.image_height, spec.image_width,
                                           spec.include_state, &cnn_, &state_fc_);
    velocity_ = MakeMlp(feat + a + kTimeEmbedding, 512, 1, a, small, "relu");
    critic_ = MakeMlp(feat, 512, 1, 1, 1.0, "relu");
  } else {
    velocity_ = MakeMlp(spec.obs_dim + a + kTimeEmbedding, 256, 3, a, small, "tanh");
    critic_ = MakeMlp(spec.obs_dim, 256, 3, 1, 1.0, "tanh");
  }
  register_module("velocity", velocity_);
  register_module("critic", critic_);
  if (spec.norm_obs) obs_norm_ = register_module("obs_norm", ObsNormalizer(spec.obs_dim));
}

torch::Tensor FlowAgentImpl::EmbedTime(const torch::Tensor& t) {
  std::vector<torch::Tensor> parts;
  for (int j = 0; j < kTimeEmbedding / 2; ++j) {
    const auto w = t * static_cast<double>(1 << j);
    parts.push_back(torch::cos(w));
    parts.push_back(torch::sin(w));
  }
  return torch::cat(parts, -1);
}

torch::Tensor FlowAgentImpl::Features(const torch::Tensor& raw_obs, const torch::Tensor& image) {
  const auto obs = obs_norm_ ? obs_norm_->forward(raw_obs) : raw_obs;
  return spec_.rgb() ? EncodeImageAndState(cnn_, state_fc_, obs, image) : obs;
}

torch::Tensor FlowAgentImpl::Value(const torch::Tensor& features) {
  return critic_->forward(features).squeeze(1);
}

torch::Tensor FlowAgentImpl::Velocity(const torch::Tensor& f, const torch::Tensor& x,
                                      const torch::Tensor& t) {
  return velocity_->forward(torch::cat({f, x, EmbedTime(t)}, 1));
}

torch::Tensor FlowAgentImpl::Sample(const torch::Tensor& f, torch::Tensor x, int steps) {
  const double dt = 1.0 / steps;
  for (int k = 0; k < steps; ++k) {
    const auto t = torch::full({x.size(0), 1}, k * dt, x.options());
    x = x + dt * Velocity(f, x, t);
  }
  return x;
}

torch::Tensor FlowAgentImpl::CfmLoss(const torch::Tensor& f, const torch::Tensor& a, const torch::Tensor& eps,
                                     const torch::Tensor& tau, CfmTarget target) {
  const int64_t B = eps.size(0), S = eps.size(1), A = eps.size(2);
  const auto a1 = a.unsqueeze(1);             // [B, 1, A]
  const auto x = tau * a1 + (1 - tau) * eps;  // [B, S, A]
  const auto fs = f.unsqueeze(1).expand({B, S, f.size(1)});
  const auto v =
      Velocity(fs.reshape({B * S, -1}), x.reshape({B * S, A}), tau.reshape({B * S, 1})).view({B, S, A});
  if (target == CfmTarget::kNoise) return (eps - (x - tau * v)).pow(2).mean(-1);
  return (v - (a1 - eps)).pow(2).mean(-1);
}

}  // namespace s2r::rl
