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

}  // namespace s2r::rl
