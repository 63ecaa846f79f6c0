// Plumbing shared by the on-policy trainers, so that ppo.cc and fpo.cc each hold only their own rollout
// and update and read top to bottom: device tensors over the engine's batch buffers, the rollout storage
// both need, train/* episode metrics, evaluations with checkpoints, per-iteration logs, the progress bar,
// and the final evaluation and checkpoint. Torch; only rl/*.cc include this header.
#pragma once

#include <torch/torch.h>

#include <chrono>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "core/progress.h"
#include "rl/dist_group.h"
#include "rl/env_batch.h"
#include "rl/policy.h"
#include "rl/ppo.h"
#include "rl/run_log.h"
#include "rl/train.h"

namespace s2r::rl {

// What every on-policy method stores per step ([T, N, ...] = steps, envs), on the training device.
struct RolloutStorage {
  RolloutStorage(int T, int N, int D, int H, int W, torch::Device device);
  torch::Tensor obs;           // [T, N, D] float
  torch::Tensor images;        // [T, N, H, W, 3] uint8 (rgb mode only)
  torch::Tensor rewards;       // [T, N] reward * reward_scale
  torch::Tensor dones;         // [T, N] 1 where obs[t] starts a new episode
  torch::Tensor values;        // [T, N] V(obs[t])
  torch::Tensor final_values;  // [T, N] V(final obs) of episodes that ended at step t, else 0
};

// Scalars of one update for losses/* (name without the prefix, value).
using LossScalars = std::vector<std::pair<std::string, double>>;

// A loss or gradient that became NaN or infinite during training.
class TrainingDiverged : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class TrainSession {
 public:
  // algo: "ppo" or "fpo" (checkpoint metadata); label: the progress bar's ("train distill"), default
  // "train <algo>"; distilled_from: a distilled student's teacher checkpoint (recorded in checkpoints).
  TrainSession(const PpoConfig& cfg, const std::string& algo, const std::string& config_json,
               const std::string& run_dir, EnvBatch& envs, EnvBatch& eval_envs, const std::string& label = "",
               const std::string& distilled_from = "");
  ~TrainSession();

  // The model and optimizer that checkpoints hold; with cfg.resume_training their state is loaded from
  // cfg.checkpoint here and the step counter continues. Call once, before the loop.
  void Attach(torch::nn::Module& model, torch::optim::Optimizer& optimizer);

  // Zero-copy views of engine buffers, moved to the device: obs [n, D] float, image [n, H, W, 3] uint8
  // (undefined without images). n defaults to the training batch.
  torch::Tensor Obs(const float* p, int n = -1) const;
  torch::Tensor Image(const uint8_t* p, int n = -1) const;

  // Rollout step t, before acting: stores the observation (and image) and the done flags of step t.
  void StoreObs(RolloutStorage& st, int t, const torch::Tensor& obs, const torch::Tensor& image,
                const torch::Tensor& next_done);
  // Steps the envs with raw actions [N, A] (device), clipped to the envs' [-1, 1] box on the way.
  void StepEnvs(const torch::Tensor& raw_actions);
  // Rollout step t, after StepEnvs(): stores the scaled rewards, writes train/* for the episodes that
  // ended, sets next_done [N] (CPU float), and bootstraps st.final_values[t] from the final observations
  // of those episodes with value_of(final obs [k, D], final image or undefined) -> [k].
  using ValueFn = std::function<torch::Tensor(const torch::Tensor& obs, const torch::Tensor& image)>;
  void StoreStepResult(RolloutStorage& st, int t, torch::Tensor& next_done, const ValueFn& value_of);
  // After StepEnvs() for methods without rollout storage: writes train/* for the episodes that ended.
  void LogEpisodes();
  // GAE over the rollout (cfg's gamma, lambda, finite-horizon variant), bootstrapped with value_of on
  // the observation after it. Returns {advantages, returns}, each [T, N].
  std::pair<torch::Tensor, torch::Tensor> Advantages(const RolloutStorage& st, const torch::Tensor& next_done,
                                                     const ValueFn& value_of);

  // With cfg.anneal_lr, sets the optimizer's learning rate to lr * (1 - (iteration - 1) / iterations).
  void AnnealLearningRate(int64_t iteration);

  // Stops the run (throws TrainingDiverged, exit 1) when the loss or the gradient norm of a minibatch is
  // not finite, before the optimizer steps on it: the message names the iteration and the loss terms, and
  // the last checkpoint written stays the last good one. terms: the loss terms to print.
  void RequireFinite(int64_t iteration, double loss, double grad_norm, const LossScalars& terms) const;

  // Ctrl+C or SIGTERM (core/stop_signal.h) asks the run to stop: the loops check between rollout steps
  // (abandoning the rollout; single-process runs only) and after each update (every rank alike: a stop on
  // any rank stops all of them at the same iteration).
  bool StopRequestedMidRollout() const;
  bool StopRequested();

  // Data-parallel runs (cfg.dist.world_size > 1); each is the identity in a single process.
  // After backward(): every parameter's gradient becomes its mean over the ranks (one allreduce).
  void AverageGradients(const std::vector<torch::Tensor>& params);
  // A minibatch's advantages normalized with the mean and standard deviation of the same minibatch on
  // every rank (the global statistics), as a single process with the concatenated minibatch would.
  torch::Tensor NormalizeAdvantages(const torch::Tensor& adv);
  // The mean of a per-rank statistic (approximate KL) over the ranks: every rank takes the same decision.
  double MeanOverRanks(double value);
  bool writes() const { return dist_ == nullptr || dist_->rank() == 0; }  // rank 0 writes the run folder
  // Winds the run down: the checkpoint of `iterations_done` iterations at env step `step`
  // (ckpt_<iterations_done + 1>.pt, written atomically) and the logs flushed; then throws Interrupted naming
  // the checkpoint and the command that resumes it.
  [[noreturn]] void Stop(int64_t iterations_done, int64_t step);

  bool EvalDue(int64_t iteration) const;
  // act: device obs [n, D] and image -> actions [n, A] (clipped to [-1, 1] here). Logs eval/*, redraws
  // the plot, writes videos and, if save_checkpoint, ckpt_<iteration>.pt.
  using EvalAct = std::function<torch::Tensor(const torch::Tensor& obs, const torch::Tensor& image)>;
  void Evaluate(int64_t iteration, bool save_checkpoint, const EvalAct& act);

  // Logs charts/*, time/* and losses/* (plus explained variance from the flat returns and values, when
  // given) and advances the progress bar.
  void EndIteration(int64_t iteration, double rollout_time, double update_time, const LossScalars& losses,
                    const torch::Tensor& returns, const torch::Tensor& values);

  // Final evaluation and final_ckpt.pt.
  TrainOutcome Finish(const EvalAct& act);

  const PpoConfig& cfg;
  const torch::Device device;
  const int N, T, D, A, H, W;
  const bool rgb;
  const int world_size;       // ranks in the job (1: a single process)
  const int64_t global_envs;  // envs over all ranks: what one step of the loop adds to global_step
  int64_t start_iteration = 1;
  int64_t global_step = 0;
  RunLog log;

 private:
  void BroadcastAdamState(torch::optim::Optimizer& optimizer);
  std::vector<int64_t> RecordEpisodes(torch::Tensor& next_done);  // train/*; returns the done envs
  std::unique_ptr<DistGroup> dist_;                               // data-parallel runs only
  double allreduce_time_ = 0;  // this iteration's gradient allreduces, seconds
  void SaveCheckpointAs(const std::string& name, int64_t iterations_done);
  std::string run_dir_;
  std::string last_checkpoint_;  // the last one written (or resumed from)
  EnvBatch& envs_;
  EnvBatch& eval_envs_;
  CheckpointMeta meta_;
  torch::nn::Module* model_ = nullptr;
  torch::optim::Optimizer* optimizer_ = nullptr;
  std::unique_ptr<ProgressBar> bar_;
  std::string label_;
  std::string status_;
  TrainOutcome out_;
  double total_rollout_ = 0, total_update_ = 0, total_eval_ = 0;
  std::chrono::steady_clock::time_point start_;
  // Per-env episode accumulators for train/*.
  std::vector<double> ep_ret_;
  std::vector<int> ep_len_;
  std::vector<uint8_t> ep_once_;
  std::vector<float> action_buf_;  // [N, A] what the envs receive
};

}  // namespace s2r::rl
