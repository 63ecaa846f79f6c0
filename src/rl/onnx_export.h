// Exporting a checkpoint's policy as an ONNX model, for runtimes without libtorch (robot computers,
// OpenCV's dnn module, onnxruntime). Torch stays behind this header.
//
// The graph computes the deterministic-or-sampled action the env receives, clipped to [-1, 1]:
//   inputs  obs    [batch, obs_dim] float32        (not for rgb policies trained without the state)
//           noise  [batch, action_dim] float32     zeros: `eval`'s deterministic action; N(0, I): a sample
//           image  [batch, H, W, 3] uint8          (rgb checkpoints only)
//   output  action [batch, action_dim] float32
// PPO: mean + exp(log-std) * noise. FPO (noise is the flow's start): the checkpoint's fpo_num_steps Euler
// steps unrolled (the time embedding of each step folded into a bias), then the squash it was trained with
// (tanh or none) and the clip. The checkpoint's metadata is kept in the model's metadata_props under
// "sim2real.*" keys.
// A deterministic export has no noise input: the graph is the one above with the noise fixed at zero (PPO's
// mean action; FPO's flow from zero), for robots that never sample ("sim2real.deterministic" = "1").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace s2r::rl {

struct OnnxExportInfo {
  std::string path, algo, obs_mode;
  std::vector<std::string> inputs;  // in graph order
  int opset = 0;
  int64_t num_nodes = 0, num_weights = 0, bytes = 0;
  int fpo_num_steps = 0;
  bool deterministic = false;  // no noise input
};

// Writes `out_path` atomically. Throws IoError naming the checkpoint or the output path.
OnnxExportInfo ExportPolicyOnnx(const std::string& checkpoint, const std::string& out_path,
                                bool deterministic = false);

}  // namespace s2r::rl
