// Building blocks shared by the PPO and FPO agents (torch): CleanRL's orthogonal layer init, the
// NatureCNN image encoder and plain MLPs. Only rl/*.cc include this header.
#pragma once

#include <torch/torch.h>

#include <cmath>

namespace s2r::rl {

// CleanRL's layer_init: orthogonal weights with gain `gain`, zero bias.
torch::nn::Linear InitLinear(int in, int out, double gain = std::sqrt(2.0));

// NatureCNN on [B, 3, H, W] float images in [0, 1] -> [B, 256] (ReLU): conv 8x8/4 (32), 4x4/2 (64),
// 3x3/1 (64), flatten, Linear -> 256. Throws ConfigError for images smaller than 36x36.
torch::nn::Sequential MakeNatureCnn(int image_height, int image_width);

// The rgb agents' encoders, registered on `owner` as "cnn" (NatureCNN) and, with include_state, "state_fc"
// (Linear obs_dim -> 256). Returns the feature width: 256, or 512 with the state.
int RegisterImageEncoders(torch::nn::Module& owner, int obs_dim, int image_height, int image_width,
                          bool include_state, torch::nn::Sequential* cnn, torch::nn::Linear* state_fc);

// rgb features: cnn(image / 255) [B, 256], concatenated with state_fc(obs) [B, 256] when state_fc is set.
// image [B, H, W, 3] uint8, obs [B, D] float.
torch::Tensor EncodeImageAndState(torch::nn::Sequential& cnn, torch::nn::Linear& state_fc,
                                  const torch::Tensor& obs, const torch::Tensor& image);

// in -> width (act) x hidden_layers -> out, orthogonal init (gain sqrt 2), last layer with out_gain.
// act: "tanh" or "relu".
torch::nn::Sequential MakeMlp(int in, int width, int hidden_layers, int out, double out_gain,
                              const char* act = "tanh");

// Observation normalization as CleanRL's continuous PPO does it (gym's NormalizeObservation, then a clip):
// (obs - mean) / sqrt(var + 1e-8), clipped to +-10, with the mean and variance of every observation the
// training envs produced. Buffers (saved in checkpoints, exported to ONNX): mean [D], var [D] float32,
// count [] float64. It starts as the identity (mean 0, var 1, count 0).
class ObsNormalizerImpl : public torch::nn::Module {
 public:
  static constexpr double kEpsilon = 1e-8;
  static constexpr double kClip = 10.0;
  explicit ObsNormalizerImpl(int obs_dim);
  torch::Tensor forward(const torch::Tensor& obs);  // [B, D] -> [B, D]
  // Folds a batch into the statistics (Chan et al.'s parallel mean/variance). obs [B, D], B >= 1.
  void Update(const torch::Tensor& obs);
  torch::Tensor mean, var, count;
};
TORCH_MODULE(ObsNormalizer);

}  // namespace s2r::rl
