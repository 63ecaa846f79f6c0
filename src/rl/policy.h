// Checkpoints seen from outside rl: what a checkpoint holds, and a loaded policy that turns batches of
// observations into actions. Torch stays behind this header (eval, export and the real robot use it).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace s2r::rl {

struct CheckpointMeta {
  std::string algo;  // "ppo" (or "fpo")
  std::string env_id;
  std::string obs_mode;     // "state" or "rgb"
  std::string config_json;  // the training config, as the app wrote it
  int64_t iteration = 0;
  int64_t global_step = 0;
  int obs_dim = 0, action_dim = 0, image_height = 0, image_width = 0;
  bool include_state = true;
  bool norm_obs = false;                   // the network normalizes its state input (rl::ObsNormalizer)
  bool deterministic_only = false;         // an ONNX export without the noise input: Act cannot sample
  int fpo_num_steps = 0;                   // FPO: Euler steps of the sampler it was trained with (0 for PPO)
  std::string fpo_action_squash = "clip";  // FPO: raw sample -> action, "clip" or "tanh" (older: clip)
  std::string distilled_from;              // a distilled student: its teacher's checkpoint (else empty)
};

// Reads the metadata without building the network. Throws IoError naming the path if it is missing or
// not a sim2real checkpoint.
CheckpointMeta ReadCheckpointMeta(const std::string& path);

class Policy {
 public:
  virtual ~Policy() = default;
  virtual const CheckpointMeta& meta() const = 0;
  // obs [n, obs_dim] float32, image [n, H, W, 3] uint8 or null -> actions [n, action_dim], clipped to
  // [-1, 1] (an FPO policy's sample squashed first as it was trained: meta().fpo_action_squash).
  // deterministic: PPO's mean action, FPO's flow from zero noise; else a sample from the policy.
  virtual void Act(const float* obs, const uint8_t* image, int n, bool deterministic, float* actions) = 0;
};

std::unique_ptr<Policy> LoadPolicy(const std::string& path);

}  // namespace s2r::rl
