// Teacher-student distillation (DAgger): a state-observation teacher (any PPO or FPO state checkpoint)
// labels every state the envs visit with its deterministic action, and an rgb student (the PPO rgb agent:
// NatureCNN + the 17-value state) learns to regress those labels from the image. The envs are driven by
// a beta-mix of teacher and student actions: teacher first, then the student (so it learns on the states
// its own mistakes lead to). The student's checkpoints are ordinary PPO rgb checkpoints.
// Torch-free: the trainer's declarations; the loop is in distill.cc.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "rl/env_batch.h"
#include "rl/policy.h"
#include "rl/ppo.h"
#include "rl/train.h"

namespace s2r::rl {

enum class DistillLoss { kMse, kHuber };

struct DistillConfig {
  std::string teacher;           // a state-observation checkpoint (.pt)
  double beta_start = 1;         // probability that the teacher's action is the one executed, first iteration
  double beta_decay = 0;         // beta of iteration k (1-based): beta_start * beta_decay^(k - 1)
  int64_t beta_decay_steps = 0;  // > 0: linear instead: beta_start * max(0, 1 - env_step / beta_decay_steps)
  int buffer_size = 2;           // recent labelled batches (iterations) kept for the update
  int epochs = 1;                // passes over the kept batches per iteration
  DistillLoss loss = DistillLoss::kMse;
  double huber_delta = 1.0;
  bool copy_teacher_std = true;  // the student's log-std set to a PPO teacher's (kept otherwise)
  bool student_sample = false;   // the student acts with samples of its Gaussian instead of its mean
  int augment_shift = 0;         // random-shift augmentation: pad by this many pixels and crop (0: off)

  void Validate() const;  // throws ConfigError naming the --distill.* flag
};

// Beta of iteration `iteration` (1-based) that starts at env step `env_step`.
double DistillBeta(const DistillConfig& cfg, int64_t iteration, int64_t env_step);

// Which envs execute the teacher's action this step: [n] 1 with probability beta.
std::vector<uint8_t> TeacherActs(int n, double beta, std::mt19937_64& rng);

// The DAgger labels: the teacher's deterministic action (PPO: its mean; FPO: its flow from zero noise),
// clipped to the action box [-1, 1]. privileged: [n, teacher obs_dim]; labels: [n, action_dim].
void TeacherLabels(Policy& teacher, const float* privileged, int n, float* labels);

// Trains the student on `envs` (which must carry the teacher's privileged observation) and evaluates it
// alone on `eval_envs`. cfg holds the shared --ppo.* settings (seed, num_envs, num_steps, learning_rate,
// num_minibatches, max_grad_norm, eval cadence, ...).
TrainOutcome TrainDistill(const PpoConfig& cfg, const DistillConfig& dcfg, const std::string& config_json,
                          const std::string& run_dir, EnvBatch& envs, EnvBatch& eval_envs);

}  // namespace s2r::rl
