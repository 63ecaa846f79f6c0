#include "rl/agent.h"

#include <cmath>
#include <string>

#include "core/error.h"

namespace s2r::rl {

namespace {

// CleanRL's layer_init: orthogonal weights with gain `std`, zero bias.
torch::nn::Linear InitLinear(int in, int out, double std = std::sqrt(2.0)) {
  torch::nn::Linear l(in, out);
  torch::NoGradGuard no_grad;
  torch::nn::init::orthogonal_(l->weight, std);
  torch::nn::init::constant_(l->bias, 0.0);
  return l;
}

}  // namespace

AgentImpl::AgentImpl(const AgentSpec& spec) : spec_(spec) {
  const int a = spec.action_dim;
  int feat = 0;
  if (spec.rgb()) {
    if (spec.image_height < 36 || spec.image_width < 36)
      throw ConfigError("sensor_configs: the NatureCNN encoder needs images of at least 36x36 pixels, got " +
                        std::to_string(spec.image_width) + "x" + std::to_string(spec.image_height));
    cnn_ = torch::nn::Sequential(
        torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 32, 8).stride(4)), torch::nn::ReLU(),
        torch::nn::Conv2d(torch::nn::Conv2dOptions(32, 64, 4).stride(2)), torch::nn::ReLU(),
        torch::nn::Conv2d(torch::nn::Conv2dOptions(64, 64, 3).stride(1)), torch::nn::ReLU(),
        torch::nn::Flatten());
    // The flattened size follows from the image size (9216 at 128x128).
    const auto probe = cnn_->forward(torch::zeros({1, 3, spec.image_height, spec.image_width}));
    cnn_->push_back(torch::nn::Linear(probe.size(1), 256));
    cnn_->push_back(torch::nn::ReLU());
    register_module("cnn", cnn_);
    feat = 256;
    if (spec.include_state) {
      state_fc_ = register_module("state_fc", torch::nn::Linear(spec.obs_dim, 256));
      feat += 256;
    }
    actor_ = torch::nn::Sequential(InitLinear(feat, 512), torch::nn::ReLU(),
                                   InitLinear(512, a, 0.01 * std::sqrt(2.0)));
    critic_ = torch::nn::Sequential(InitLinear(feat, 512), torch::nn::ReLU(), InitLinear(512, 1, 1.0));
  } else {
    const int d = spec.obs_dim;
    actor_ = torch::nn::Sequential(InitLinear(d, 256), torch::nn::Tanh(), InitLinear(256, 256),
                                   torch::nn::Tanh(), InitLinear(256, 256), torch::nn::Tanh(),
                                   InitLinear(256, a, 0.01 * std::sqrt(2.0)));
    critic_ =
        torch::nn::Sequential(InitLinear(d, 256), torch::nn::Tanh(), InitLinear(256, 256), torch::nn::Tanh(),
                              InitLinear(256, 256), torch::nn::Tanh(), InitLinear(256, 1, 1.0));
  }
  register_module("actor_mean", actor_);
  register_module("critic", critic_);
  actor_logstd = register_parameter("actor_logstd", torch::full({1, a}, -0.5));
}

torch::Tensor AgentImpl::Features(const torch::Tensor& obs, const torch::Tensor& image) {
  if (!spec_.rgb()) return obs;
  // [B, H, W, 3] uint8 -> [B, 3, H, W] float in [0, 1]
  const auto x = image.permute({0, 3, 1, 2}).to(torch::kFloat32).div(255.0);
  auto f = cnn_->forward(x);
  if (spec_.include_state) f = torch::cat({f, state_fc_->forward(obs)}, 1);
  return f;
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
