// The FPO agent (torch): a flow-matching policy. Only rl/*.cc include this header.
//   Encoders as the PPO agent: rgb -> NatureCNN(image / 255) 256 (+ state Linear 256); state -> the raw
//   observation (normalized first with norm_obs). Critic as PPO's (512 ReLU head on rgb features, 3x256 Tanh
//   MLP on state). Velocity field v(x, t, features) -> R^A: an MLP on [features, x, emb(t)] (rgb: 512 ReLU, 1
//   hidden layer, as the lerobot-sim2real FPO fork; state: 3x256 Tanh as PPO's actor), last layer near zero.
//   emb(t) = [cos(2^j t), sin(2^j t)], j = 0..3 (8 values, MuJoCo Playground's embedding).
// Path convention (paper eq. 9): t = 0 is noise, t = 1 the action. x_t = t a + (1 - t) eps, and the
// conditional velocity target is u = a - eps. Sampling: x ~ N(0, I) (or 0 for zero-noise evaluation),
// then K Euler steps x <- x + (1/K) v(x, k/K), k = 0..K-1. No clipping inside the policy.
#pragma once

#include <torch/torch.h>

#include <string>

#include "rl/agent.h"

namespace s2r::rl {

// What the conditional flow-matching loss supervises (both are means over action dimensions):
//   kVelocity: (v - u)^2 (the fork's and gridworld's choice);
//   kNoise:    (eps - eps_hat)^2 with eps_hat = x_t - t v, i.e. t^2 (v - u)^2 (the official default).
enum class CfmTarget { kVelocity, kNoise };

class FlowAgentImpl : public torch::nn::Module {
 public:
  explicit FlowAgentImpl(const AgentSpec& spec);
  const AgentSpec& spec() const { return spec_; }

  // obs [B, D] float, image [B, H, W, 3] uint8 (rgb) or undefined -> features [B, F] (state: obs itself).
  torch::Tensor Features(const torch::Tensor& obs, const torch::Tensor& image);
  // Folds training observations [B, D] into the normalizer's statistics (no-op without norm_obs).
  void UpdateObsStats(const torch::Tensor& obs) {
    if (obs_norm_) obs_norm_->Update(obs);
  }
  torch::Tensor Value(const torch::Tensor& features);  // [B]
  // f [M, F], x [M, A], t [M, 1] -> v [M, A]
  torch::Tensor Velocity(const torch::Tensor& f, const torch::Tensor& x, const torch::Tensor& t);
  // f [B, F], x0 [B, A] (initial noise) -> raw action [B, A] after `steps` Euler steps.
  torch::Tensor Sample(const torch::Tensor& f, torch::Tensor x0, int steps);
  // f [B, F], a [B, A], eps [B, S, A], tau [B, S, 1] -> per-pair CFM loss [B, S].
  torch::Tensor CfmLoss(const torch::Tensor& f, const torch::Tensor& a, const torch::Tensor& eps,
                        const torch::Tensor& tau, CfmTarget target);

  // raw sample [B, A] -> what the env receives before its clip to [-1, 1]: the sample itself ("clip") or
  // tanh(sample) ("tanh", squashed outside the policy as MuJoCo Playground). FPO scores StoredAction's.
  static torch::Tensor EnvAction(const torch::Tensor& raw, const std::string& squash) {
    return squash == "tanh" ? torch::tanh(raw) : raw;
  }
  // The squash names EnvAction knows (the config and checkpoint checks use this one list).
  static bool KnownSquash(const std::string& squash) { return squash == "clip" || squash == "tanh"; }

  // raw sample [B, A] -> the flow-matching target FPO stores and scores: the raw sample, or (store_clipped)
  // the action the env received, clipped to [-1, 1].
  static torch::Tensor StoredAction(const torch::Tensor& raw, bool store_clipped) {
    return store_clipped ? raw.clamp(-1.0, 1.0) : raw;
  }

  static constexpr int kTimeEmbedding = 8;
  static torch::Tensor EmbedTime(const torch::Tensor& t);  // [..., 1] -> [..., 8]

 private:
  AgentSpec spec_;
  torch::nn::Sequential cnn_{nullptr};       // rgb
  torch::nn::Linear state_fc_{nullptr};      // rgb with state
  torch::nn::Sequential velocity_{nullptr};  // [features, x, emb(t)] -> v
  torch::nn::Sequential critic_{nullptr};    // features -> value
  ObsNormalizer obs_norm_{nullptr};          // norm_obs
};
TORCH_MODULE(FlowAgent);

}  // namespace s2r::rl
