// The PPO agent (torch): the reference's networks. Only rl/*.cc include this header.
//   rgb:   NatureCNN on image / 255 -> 256 (ReLU), state Linear -> 256 (no activation), concatenated;
//          actor 512 -> 512 ReLU -> A, critic 512 -> 512 ReLU -> 1.
//   state: actor and critic MLPs obs -> 256 -> 256 -> 256 (Tanh) -> A / 1.
//   norm_obs: the state vector goes through an ObsNormalizer first (both modes).
// Gaussian policy with a state-independent log-std (initialised at -0.5); orthogonal init of the heads.
#pragma once

#include <torch/torch.h>

#include "rl/networks.h"

namespace s2r::rl {

struct AgentSpec {
  int obs_dim = 0;  // state values (17 in rgb mode, 31 in state mode)
  int action_dim = 0;
  int image_height = 0;  // > 0: rgb agent
  int image_width = 0;
  bool include_state = true;  // rgb agent: also use the state vector
  bool norm_obs = false;      // normalize the state vector first (an "obs_norm" ObsNormalizer)
  bool rgb() const { return image_height > 0; }
};

struct ActionSample {
  torch::Tensor action, log_prob, entropy, value;  // [B, A], [B], [B], [B]
};

class AgentImpl : public torch::nn::Module {
 public:
  explicit AgentImpl(const AgentSpec& spec);
  const AgentSpec& spec() const { return spec_; }

  // obs: [B, D] float; image: [B, H, W, 3] uint8 (rgb) or undefined.
  torch::Tensor Features(const torch::Tensor& obs, const torch::Tensor& image);
  torch::Tensor Value(const torch::Tensor& obs, const torch::Tensor& image);       // [B]
  torch::Tensor ActionMean(const torch::Tensor& obs, const torch::Tensor& image);  // [B, A]
  // Samples an action (or scores `action` if defined) and returns log-prob, entropy and value.
  ActionSample ActionAndValue(const torch::Tensor& obs, const torch::Tensor& image,
                              const torch::Tensor& action = {});
  // Folds training observations [B, D] into the normalizer's statistics (no-op without norm_obs).
  void UpdateObsStats(const torch::Tensor& obs) {
    if (obs_norm_) obs_norm_->Update(obs);
  }

  torch::Tensor actor_logstd;  // [1, A]

 private:
  torch::Tensor ActorMeanFromFeatures(const torch::Tensor& f) { return actor_->forward(f); }
  AgentSpec spec_;
  torch::nn::Sequential cnn_{nullptr};     // rgb
  torch::nn::Linear state_fc_{nullptr};    // rgb with state
  torch::nn::Sequential actor_{nullptr};   // features -> mean
  torch::nn::Sequential critic_{nullptr};  // features -> value
  ObsNormalizer obs_norm_{nullptr};        // norm_obs
};
TORCH_MODULE(Agent);

}  // namespace s2r::rl
