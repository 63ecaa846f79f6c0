#include "rl/networks.h"

#include <string>

#include "core/error.h"

namespace s2r::rl {

torch::nn::Linear InitLinear(int in, int out, double gain) {
  torch::nn::Linear l(in, out);
  torch::NoGradGuard no_grad;
  torch::nn::init::orthogonal_(l->weight, gain);
  torch::nn::init::constant_(l->bias, 0.0);
  return l;
}

torch::nn::Sequential MakeNatureCnn(int image_height, int image_width) {
  if (image_height < 36 || image_width < 36)
    throw ConfigError("sensor_configs: the NatureCNN encoder needs images of at least 36x36 pixels, got " +
                      std::to_string(image_width) + "x" + std::to_string(image_height));
  torch::nn::Sequential cnn(
      torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 32, 8).stride(4)), torch::nn::ReLU(),
      torch::nn::Conv2d(torch::nn::Conv2dOptions(32, 64, 4).stride(2)), torch::nn::ReLU(),
      torch::nn::Conv2d(torch::nn::Conv2dOptions(64, 64, 3).stride(1)), torch::nn::ReLU(),
      torch::nn::Flatten());
  // The flattened size follows from the image size (9216 at 128x128).
  const auto probe = cnn->forward(torch::zeros({1, 3, image_height, image_width}));
  cnn->push_back(torch::nn::Linear(probe.size(1), 256));
  cnn->push_back(torch::nn::ReLU());
  return cnn;
}

int RegisterImageEncoders(torch::nn::Module& owner, int obs_dim, int image_height, int image_width,
                          bool include_state, torch::nn::Sequential* cnn, torch::nn::Linear* state_fc) {
  *cnn = owner.register_module("cnn", MakeNatureCnn(image_height, image_width));
  if (!include_state) return 256;
  *state_fc = owner.register_module("state_fc", torch::nn::Linear(obs_dim, 256));
  return 512;
}

torch::Tensor EncodeImageAndState(torch::nn::Sequential& cnn, torch::nn::Linear& state_fc,
                                  const torch::Tensor& obs, const torch::Tensor& image) {
  // [B, H, W, 3] uint8 -> [B, 3, H, W] float in [0, 1]
  const auto x = image.permute({0, 3, 1, 2}).to(torch::kFloat32).div(255.0);
  auto f = cnn->forward(x);
  if (!state_fc.is_empty()) f = torch::cat({f, state_fc->forward(obs)}, 1);
  return f;
}

torch::nn::Sequential MakeMlp(int in, int width, int hidden_layers, int out, double out_gain,
                              const char* act) {
  const bool relu = std::string(act) == "relu";
  torch::nn::Sequential mlp;
  int d = in;
  for (int i = 0; i < hidden_layers; ++i) {
    mlp->push_back(InitLinear(d, width));
    if (relu)
      mlp->push_back(torch::nn::ReLU());
    else
      mlp->push_back(torch::nn::Tanh());
    d = width;
  }
  mlp->push_back(InitLinear(d, out, out_gain));
  return mlp;
}

ObsNormalizerImpl::ObsNormalizerImpl(int obs_dim) {
  mean = register_buffer("mean", torch::zeros({obs_dim}));
  var = register_buffer("var", torch::ones({obs_dim}));
  count = register_buffer("count", torch::zeros({}, torch::kFloat64));
}

torch::Tensor ObsNormalizerImpl::forward(const torch::Tensor& obs) {
  return ((obs - mean) * torch::rsqrt(var + kEpsilon)).clamp(-kClip, kClip);
}

void ObsNormalizerImpl::Update(const torch::Tensor& obs) {
  torch::NoGradGuard no_grad;
  const auto x = obs.detach().to(torch::kFloat64);
  const double n = static_cast<double>(x.size(0));
  const double c = count.item<double>();
  const auto batch_mean = x.mean(0);
  const auto batch_var = x.var(0, /*unbiased=*/false);
  const auto old_mean = mean.to(torch::kFloat64), old_var = var.to(torch::kFloat64);
  const double total = c + n;
  const auto delta = batch_mean - old_mean;
  const auto m2 = old_var * c + batch_var * n + delta.pow(2) * (c * n / total);
  mean.copy_(old_mean + delta * (n / total));
  var.copy_(m2 / total);
  count.fill_(total);
}

}  // namespace s2r::rl
