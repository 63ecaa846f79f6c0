// PPO, top to bottom: setup, then per iteration: evaluate (every eval_freq), anneal the learning rate,
// collect num_steps x num_envs transitions, compute GAE, run update_epochs of minibatch updates, log.
// The run folder, logs, evaluations and checkpoints are TrainSession's (shared with FPO).
// The CleanRL / ManiSkill ppo_rgb.py recipe; tensor shapes are noted as [T, N, ...] (steps, envs).
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <sstream>
#include <vector>

#include "core/error.h"
#include "rl/agent.h"
#include "rl/flow_agent.h"
#include "rl/ppo_loss.h"
#include "rl/train.h"
#include "rl/train_session.h"

namespace s2r::rl {

namespace {
using Clock = std::chrono::steady_clock;
double Since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }
}  // namespace

void PpoConfig::Finalize() {
  auto require = [](bool ok, const std::string& flag, const std::string& expected) {
    if (!ok) throw ConfigError("--ppo." + flag + ": expected " + expected);
  };
  auto show = [](double v) {
    std::ostringstream s;
    s << v;
    return s.str();
  };
  // A real number in [lo, hi] (or (lo, hi] when open_low): NaN and infinities are refused before anything
  // starts, instead of surfacing as a NaN loss hours later.
  auto number = [&](double v, const std::string& flag, double lo, double hi, bool open_low) {
    const bool ok = std::isfinite(v) && (open_low ? v > lo : v >= lo) && v <= hi;
    std::string range = open_low ? "(" : "[";
    range += show(lo) + ", " + (std::isinf(hi) ? std::string("inf)") : show(hi) + "]");
    require(ok, flag, "a finite number in " + range + ", got " + show(v));
  };
  const double inf = std::numeric_limits<double>::infinity();
  require(num_envs >= 1, "num-envs", "at least 1");
  require(num_eval_envs >= 1, "num-eval-envs", "at least 1");
  require(num_steps >= 1, "num-steps", "at least 1");
  require(num_eval_steps >= 1, "num-eval-steps", "at least 1");
  require(num_minibatches >= 1, "num-minibatches", "at least 1");
  require(update_epochs >= 1, "update-epochs", "at least 1");
  require(total_timesteps >= 1, "total-timesteps", "at least 1");
  number(learning_rate, "learning-rate", 0, 1, true);
  number(gamma, "gamma", 0, 1, false);
  number(gae_lambda, "gae-lambda", 0, 1, false);
  number(clip_coef, "clip-coef", 0, inf, true);
  number(ent_coef, "ent-coef", 0, inf, false);
  number(vf_coef, "vf-coef", 0, inf, false);
  number(max_grad_norm, "max-grad-norm", 0, inf, true);
  number(reward_scale, "reward-scale", 0, inf, true);
  if (target_kl) number(*target_kl, "target-kl", 0, inf, true);
  require(eval_freq >= 1, "eval-freq", "at least 1");
  require(!reconfiguration_freq || *reconfiguration_freq >= 1, "reconfiguration-freq", "at least 1 or None");
  require(!eval_reconfiguration_freq || *eval_reconfiguration_freq >= 1, "eval-reconfiguration-freq",
          "at least 1 or None");
  require(threads >= 0, "threads", "at least 0 (0: all cores)");
  require(obs_mode == "rgb" || obs_mode == "state", "obs-mode", "rgb or state");
  batch_size = static_cast<int64_t>(num_envs) * num_steps;
  minibatch_size = batch_size / num_minibatches;
  // Advantages are normalized per minibatch (a one-sample minibatch has no standard deviation).
  require(minibatch_size >= 2, "num-minibatches",
          "at most num_envs * num_steps / 2: num_envs " + std::to_string(num_envs) + " x num_steps " +
              std::to_string(num_steps) + " = " + std::to_string(batch_size) + " steps in " +
              std::to_string(num_minibatches) + " minibatches leaves " + std::to_string(minibatch_size) +
              " per minibatch, and each needs at least 2");
  ValidateDistConfig(dist, "distributed config:");
  num_iterations = std::max<int64_t>(1, total_timesteps / (batch_size * dist.world_size));
  require(fpo_num_steps >= 1, "fpo-num-steps", "at least 1");
  number(fpo_cfm_coef, "fpo-cfm-coef", 0, inf, false);
  require(fpo_num_train_samples >= 1, "fpo-num-train-samples", "at least 1");
  if (fpo_logratio_clip) number(*fpo_logratio_clip, "fpo-logratio-clip", 0, inf, true);
  require(fpo_cfm_target == "velocity" || fpo_cfm_target == "noise", "fpo-cfm-target", "velocity or noise");
  require(FlowAgentImpl::KnownSquash(fpo_action_squash), "fpo-action-squash", "clip or tanh");
  require(!fpo_store_clipped || fpo_action_squash == "clip", "fpo-store-clipped",
          "only with --ppo.fpo-action-squash=clip (a tanh-squashed action is not a sample of the flow)");
}

TrainOutcome TrainPpo(const PpoConfig& cfg, const std::string& config_json, const std::string& run_dir,
                      EnvBatch& envs, EnvBatch& eval_envs) {
  // ---------------------------------------------------------------- setup
  TrainSession run(cfg, "ppo", config_json, run_dir, envs, eval_envs);  // seeds torch, opens the logs
  const int N = run.N, T = run.T, D = run.D, A = run.A, H = run.H, W = run.W;
  const bool rgb = run.rgb;
  const torch::Device device = run.device;
  Agent agent(AgentSpec{D, A, H, W, cfg.include_state, cfg.norm_obs});
  agent->to(device);
  torch::optim::Adam optimizer(agent->parameters(), torch::optim::AdamOptions(cfg.learning_rate).eps(1e-5));
  run.Attach(*agent, optimizer);  // restores both when resuming

  // Rollout storage on the training device: the shared part plus PPO's actions and log-probs.
  RolloutStorage st(T, N, D, H, W, device);
  const auto f32 = torch::TensorOptions().dtype(torch::kFloat32).device(device);
  auto actions = torch::zeros({T, N, A}, f32);  // raw samples (the env gets them clipped)
  auto logprobs = torch::zeros({T, N}, f32);

  envs.Reset();
  auto next_done = torch::zeros({N}, torch::kFloat32);  // CPU, filled from the engine's flags
  // Evaluation acts with the mean action.
  const TrainSession::EvalAct eval_act = [&](const torch::Tensor& o, const torch::Tensor& img) {
    return agent->ActionMean(o, img);
  };

  // The critic on observations (the bootstrap at episode ends and after the rollout).
  const TrainSession::ValueFn value_of = [&](const torch::Tensor& obs, const torch::Tensor& image) {
    return agent->Value(obs, image);
  };

  for (int64_t iteration = run.start_iteration; iteration <= cfg.num_iterations; ++iteration) {
    // ------------------------------------------------------------ evaluate (and checkpoint)
    if (run.EvalDue(iteration)) run.Evaluate(iteration, true, eval_act);

    // ------------------------------------------------------------ learning rate
    run.AnnealLearningRate(iteration);

    // ------------------------------------------------------------ rollout
    const auto t_rollout = Clock::now();
    st.final_values.zero_();
    agent->eval();
    const int64_t step_at_start = run.global_step;
    for (int t = 0; t < T; ++t) {
      if (run.StopRequestedMidRollout()) run.Stop(iteration - 1, step_at_start);  // abandons the rollout
      run.global_step += run.global_envs;
      const auto o = run.Obs(envs.obs());
      const auto img = run.Image(envs.image());
      run.StoreObs(st, t, o, img, next_done);
      {
        torch::NoGradGuard no_grad;
        const ActionSample s = agent->ActionAndValue(o, img);
        actions[t].copy_(s.action);
        logprobs[t].copy_(s.log_prob);
        st.values[t].copy_(s.value);
        run.StepEnvs(s.action);  // clipped to the env's box; the raw sample is what PPO scores
      }
      run.StoreStepResult(st, t, next_done, value_of);  // rewards, train/*, bootstrap values
    }
    const double rollout_time = Since(t_rollout);

    // ------------------------------------------------------------ GAE
    const auto [advantages, returns] = run.Advantages(st, next_done, value_of);

    // ------------------------------------------------------------ update
    const auto t_update = Clock::now();
    agent->train();
    const int64_t B = static_cast<int64_t>(N) * T;
    const auto b_obs = st.obs.reshape({B, D});
    const auto b_img = rgb ? st.images.reshape({B, H, W, 3}) : torch::Tensor();
    const auto b_actions = actions.reshape({B, A});
    const auto b_logprobs = logprobs.reshape({B});
    const auto b_adv = advantages.reshape({B});
    const auto b_returns = returns.reshape({B});
    const auto b_values = st.values.reshape({B});
    double clipfrac_sum = 0;
    int minibatches = 0;
    PpoLossTerms last;
    bool stop = false;
    for (int epoch = 0; epoch < cfg.update_epochs && !stop; ++epoch) {
      const auto perm = torch::randperm(B, torch::TensorOptions().dtype(torch::kLong).device(device));
      for (int64_t start_i = 0; start_i + cfg.minibatch_size <= B; start_i += cfg.minibatch_size) {
        const auto mb = perm.slice(0, start_i, start_i + cfg.minibatch_size);
        const auto mb_img = rgb ? b_img.index_select(0, mb) : torch::Tensor();
        const ActionSample s =
            agent->ActionAndValue(b_obs.index_select(0, mb), mb_img, b_actions.index_select(0, mb));
        auto mb_adv = b_adv.index_select(0, mb);
        if (cfg.norm_adv) mb_adv = run.NormalizeAdvantages(mb_adv);
        last = PpoLoss(s.log_prob, b_logprobs.index_select(0, mb), mb_adv, s.value,
                       b_values.index_select(0, mb), b_returns.index_select(0, mb), s.entropy, cfg.clip_coef,
                       cfg.clip_vloss, cfg.ent_coef, cfg.vf_coef);
        clipfrac_sum += last.clipfrac.item<double>(), ++minibatches;
        if (cfg.target_kl && run.MeanOverRanks(last.approx_kl.item<double>()) > *cfg.target_kl) {
          stop = true;  // the reference checks before stepping and leaves the epoch loop
          break;
        }
        optimizer.zero_grad();
        last.loss.backward();
        run.AverageGradients(agent->parameters());
        const double grad_norm = torch::nn::utils::clip_grad_norm_(agent->parameters(), cfg.max_grad_norm);
        run.RequireFinite(iteration, last.loss.item<double>(), grad_norm,
                          {{"policy_loss", last.policy_loss.item<double>()},
                           {"value_loss", last.value_loss.item<double>()}});
        optimizer.step();
      }
    }
    // The normalizer learns this rollout's observations only now: the rollout and its update saw the same
    // inputs (the statistics lag one iteration; the first rollout is seen unnormalized).
    agent->UpdateObsStats(b_obs);
    const double update_time = Since(t_update);

    // ------------------------------------------------------------ log
    LossScalars losses;
    if (last.loss.defined())
      losses = {{"value_loss", last.value_loss.item<double>()},
                {"policy_loss", last.policy_loss.item<double>()},
                {"entropy", last.entropy.item<double>()},
                {"old_approx_kl", last.old_approx_kl.item<double>()},
                {"approx_kl", last.approx_kl.item<double>()}};
    losses.push_back({"clipfrac", minibatches ? clipfrac_sum / minibatches : 0.0});
    run.EndIteration(iteration, rollout_time, update_time, losses, b_returns, b_values);
    if (run.StopRequested()) run.Stop(iteration, run.global_step);  // after a finished update
  }

  // ---------------------------------------------------------------- final evaluation and checkpoint
  return run.Finish(eval_act);
}

}  // namespace s2r::rl
