// PPO (CleanRL / ManiSkill recipe) and FPO from pixels and state. PpoConfig lists every hyperparameter
// with the reference's default (FPO shares them and adds its fpo_* fields); rl/train.h has the loops,
// which read top to bottom in ppo.cc and fpo.cc.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "rl/distributed.h"
#include "rl/env_batch.h"

namespace s2r::rl {

struct PpoConfig {
  // --- experiment ---
  std::string exp_name;             // run folder name; default <env-id>__ppo__<seed>__<unix time>
  uint64_t seed = 1;                // seeds torch and the envs
  bool torch_deterministic = true;  // deterministic torch kernels where available
  bool cuda = true;    // train on CUDA if libtorch has it and sees a GPU, else on the CPU (as the reference)
  bool track = false;  // accepted for compatibility: W&B is not reachable from C++ (see README)
  std::string wandb_project_name = "ManiSkill";
  std::string wandb_entity;
  std::string wandb_group = "PPO";
  bool capture_video = true;        // MP4 of every evaluation under runs/<exp>/videos
  bool save_model = true;           // checkpoints under runs/<exp>
  bool evaluate = false;            // only evaluate --checkpoint, no training
  std::string checkpoint;           // checkpoint to evaluate or to resume from
  std::string render_mode = "all";  // videos: "all" (policy camera + 512x512 view) or "sensors"
  bool include_state = true;        // rgb mode: the agent also sees the 17-value state
  std::string obs_mode = "rgb";     // "rgb" (NatureCNN + state) or "state" (MLP)

  // --- algorithm ---
  std::string env_id = "SO100GraspCube-v1";
  int64_t total_timesteps = 10'000'000;
  double learning_rate = 3e-4;
  int num_envs = 512;
  int num_eval_envs = 8;
  bool partial_reset = true;  // reset envs that terminate (success) on their own
  bool eval_partial_reset = false;
  int num_steps = 50;  // rollout length per env per iteration
  int num_eval_steps = 50;
  std::optional<int> reconfiguration_freq;  // re-draw load-time randomization every k resets (none: never)
  std::optional<int> eval_reconfiguration_freq = 1;
  std::string control_mode;  // empty: the env's default
  bool anneal_lr = false;
  double gamma = 0.8;
  double gae_lambda = 0.9;
  int num_minibatches = 32;
  int update_epochs = 4;
  bool norm_adv = true;
  bool norm_obs = false;  // CleanRL's observation normalization (the guide's ManiSkill recipe has none)
  double clip_coef = 0.2;
  bool clip_vloss = false;
  double ent_coef = 0.0;
  double vf_coef = 0.5;
  double max_grad_norm = 0.5;
  std::optional<double> target_kl = 0.2;  // early-stops the epochs of an update
  double reward_scale = 1.0;
  int eval_freq = 25;                        // iterations between evaluations (and checkpoints)
  std::optional<int> save_train_video_freq;  // accepted; training videos are not recorded
  bool finite_horizon_gae = false;

  // --- FPO (--algo fpo; the --ppo.fpo-* flags of the FPO sim2real guide) ---
  int fpo_num_steps = 10;                         // K Euler steps from noise to action (rollout and eval)
  int fpo_num_train_samples = 8;                  // N (tau, eps) pairs per action for the CFM ratio
  std::optional<double> fpo_logratio_clip = 3.0;  // c: clamp of L_old - L_new per pair (None: none)
  bool fpo_per_sample_ratio = false;              // one ratio per (tau, eps) pair instead of per action
  bool fpo_aspo = false;                          // FPO++: SPO's surrogate for negative advantages
  double fpo_cfm_coef = 0.0;                      // weight of the rollout samples' own CFM loss (0: off)
  bool fpo_zero_noise_eval = true;                // evaluation flows from zero noise (FPO++)
  std::string fpo_cfm_target = "velocity";        // "velocity" (u-MSE) or "noise" (eps-MSE)
  // How the raw flow sample becomes the env's action in [-1, 1]: "clip" (the lerobot-sim2real fork) or
  // "tanh" (MuJoCo Playground: tanh of the raw sample, squashed outside the policy). FPO scores the raw
  // sample.
  std::string fpo_action_squash = "clip";
  // Store (and score) the action the env received, the sample clipped to [-1, 1], instead of the raw sample:
  // the flow's targets stay inside the action box, so its samples cannot run away past the bound.
  bool fpo_store_clipped = false;

  // --- ours ---
  int threads = 0;               // torch and env threads; 0: all cores
  bool resume_training = false;  // continue --checkpoint's run (same step count and metrics)
  bool resume_weights_only =
      false;  // with resume_training: a fresh optimizer (another algorithm's checkpoint)
  std::string runs_dir = "runs";

  // Derived, filled by Finalize(): batch_size = num_envs * num_steps, etc.
  int64_t batch_size = 0, minibatch_size = 0, num_iterations = 0;
  // Data-parallel runs (not a --ppo.* flag: torchrun's environment or --dist.*): batch_size is each rank's,
  // num_iterations counts global batches of batch_size * dist.world_size env steps.
  DistConfig dist;
  void Finalize();  // throws ConfigError naming the flag for inconsistent values
};

}  // namespace s2r::rl
