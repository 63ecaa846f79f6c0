// FPO (Flow Policy Optimization, McAllister et al. 2025), top to bottom: PPO with a flow-matching policy.
// Setup, then per iteration: evaluate (every eval_freq), anneal the learning rate, collect num_steps x
// num_envs transitions (actions sampled by K Euler steps of the velocity field; N (tau, eps) pairs drawn
// per action), compute GAE, run update_epochs of minibatch updates with the FPO ratio, log.
// The run folder, logs, evaluations and checkpoints are TrainSession's (shared with PPO). Shapes:
// [T, N, ...] = steps, envs; S = fpo_num_train_samples, A = action dims, B = T * N.
#include <torch/torch.h>

#include <chrono>
#include <vector>

#include "rl/flow_agent.h"
#include "rl/fpo_loss.h"
#include "rl/train.h"
#include "rl/train_session.h"

namespace s2r::rl {

namespace {
using Clock = std::chrono::steady_clock;
double Since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }
}  // namespace

TrainOutcome TrainFpo(const PpoConfig& cfg, const std::string& config_json, const std::string& run_dir,
                      EnvBatch& envs, EnvBatch& eval_envs) {
  // ---------------------------------------------------------------- setup
  TrainSession run(cfg, "fpo", config_json, run_dir, envs, eval_envs);  // seeds torch, opens the logs
  const int N = run.N, T = run.T, D = run.D, A = run.A, H = run.H, W = run.W;
  const int K = cfg.fpo_num_steps, S = cfg.fpo_num_train_samples;
  const bool rgb = run.rgb;
  const torch::Device device = run.device;
  const CfmTarget target = cfg.fpo_cfm_target == "noise" ? CfmTarget::kNoise : CfmTarget::kVelocity;
  FlowAgent agent(AgentSpec{D, A, H, W, cfg.include_state, cfg.norm_obs});
  agent->to(device);
  torch::optim::Adam optimizer(agent->parameters(), torch::optim::AdamOptions(cfg.learning_rate).eps(1e-5));
  run.Attach(*agent, optimizer);  // restores both when resuming
  FpoLossOptions loss_opt;
  loss_opt.clip_coef = cfg.clip_coef;
  loss_opt.logratio_clip = cfg.fpo_logratio_clip;
  loss_opt.per_sample_ratio = cfg.fpo_per_sample_ratio;
  loss_opt.aspo = cfg.fpo_aspo;
  loss_opt.cfm_coef = cfg.fpo_cfm_coef;
  loss_opt.clip_vloss = cfg.clip_vloss;
  loss_opt.vf_coef = cfg.vf_coef;

  // Rollout storage: the shared part plus the raw actions and each action's (tau, eps) pairs.
  RolloutStorage st(T, N, D, H, W, device);
  const auto f32 = torch::TensorOptions().dtype(torch::kFloat32).device(device);
  auto actions = torch::zeros({T, N, A}, f32);  // flow samples: raw, or clipped with fpo_store_clipped
  auto eps = torch::zeros({T, N, S, A}, f32);   // CFM noise per pair
  auto tau = torch::zeros({T, N, S, 1}, f32);   // CFM flow time per pair, U(0, 1)

  envs.Reset();
  auto next_done = torch::zeros({N}, torch::kFloat32);  // CPU, filled from the engine's flags
  // Evaluation flows from zero noise (default) or from a Gaussian draw.
  const TrainSession::EvalAct eval_act = [&](const torch::Tensor& o, const torch::Tensor& img) {
    const auto x0 =
        cfg.fpo_zero_noise_eval ? torch::zeros({o.size(0), A}, f32) : torch::randn({o.size(0), A}, f32);
    return FlowAgentImpl::EnvAction(agent->Sample(agent->Features(o, img), x0, K), cfg.fpo_action_squash);
  };

  // The critic on observations (the bootstrap at episode ends and after the rollout).
  const TrainSession::ValueFn value_of = [&](const torch::Tensor& obs, const torch::Tensor& image) {
    return agent->Value(agent->Features(obs, image));
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
        const auto f = agent->Features(o, img);
        const auto a = agent->Sample(f, torch::randn({N, A}, f32), K);  // [N, A] raw
        actions[t].copy_(FlowAgentImpl::StoredAction(a, cfg.fpo_store_clipped));
        st.values[t].copy_(agent->Value(f));
        // The pairs whose CFM losses give the ratio; drawn once per action and kept for all epochs.
        eps[t].copy_(torch::randn({N, S, A}, f32));
        tau[t].copy_(torch::rand({N, S, 1}, f32));
        // The env gets the sample (or its tanh) clipped to its box; FPO scores what `actions` holds.
        run.StepEnvs(FlowAgentImpl::EnvAction(a, cfg.fpo_action_squash));
      }
      run.StoreStepResult(st, t, next_done, value_of);  // rewards, train/*, bootstrap values
    }
    const double rollout_time = Since(t_rollout);

    // ------------------------------------------------------------ GAE
    const auto [advantages, returns] = run.Advantages(st, next_done, value_of);

    // ------------------------------------------------------------ update
    const auto t_update = Clock::now();
    agent->train();
    const int64_t B = static_cast<int64_t>(N) * T, M = cfg.minibatch_size;
    const auto b_obs = st.obs.reshape({B, D});
    const auto b_img = rgb ? st.images.reshape({B, H, W, 3}) : torch::Tensor();
    const auto b_actions = actions.reshape({B, A});
    const auto b_eps = eps.reshape({B, S, A});
    const auto b_tau = tau.reshape({B, S, 1});
    const auto b_adv = advantages.reshape({B});
    const auto b_returns = returns.reshape({B});
    const auto b_values = st.values.reshape({B});
    auto cfm_of = [&](const torch::Tensor& mb, const torch::Tensor& f) {  // [M] indices -> [M, S]
      return agent->CfmLoss(f, b_actions.index_select(0, mb), b_eps.index_select(0, mb),
                            b_tau.index_select(0, mb), target);
    };
    auto features_of = [&](const torch::Tensor& mb) {
      return agent->Features(b_obs.index_select(0, mb), rgb ? b_img.index_select(0, mb) : torch::Tensor());
    };
    // L_old: each stored pair's CFM loss under the rollout policy (the weights are unchanged until the
    // first gradient step). It is evaluated here, over the first epoch's permutation in minibatch-sized
    // chunks, so the first minibatch sees exactly the computation it will repeat: ratio == 1 bit for bit.
    const auto long_opts = torch::TensorOptions().dtype(torch::kLong).device(device);
    const auto first_perm = torch::randperm(B, long_opts);
    auto cfm_old = torch::zeros({B, S}, f32);
    {
      torch::NoGradGuard no_grad;
      for (int64_t i = 0; i < B; i += M) {
        const auto mb = first_perm.slice(0, i, std::min(B, i + M));
        cfm_old.index_put_({mb}, cfm_of(mb, features_of(mb)));
      }
    }
    double clipfrac_sum = 0, first_ratio_dev = 0;
    int minibatches = 0;
    FpoLossTerms last;
    bool stop = false;
    for (int epoch = 0; epoch < cfg.update_epochs && !stop; ++epoch) {
      const auto perm = epoch == 0 ? first_perm : torch::randperm(B, long_opts);
      for (int64_t start_i = 0; start_i + M <= B; start_i += M) {
        const auto mb = perm.slice(0, start_i, start_i + M);
        const auto f = features_of(mb);
        const auto cfm_new = cfm_of(mb, f);
        auto mb_adv = b_adv.index_select(0, mb);
        if (cfg.norm_adv) mb_adv = run.NormalizeAdvantages(mb_adv);
        last = FpoLoss(cfm_new, cfm_old.index_select(0, mb), mb_adv, agent->Value(f),
                       b_values.index_select(0, mb), b_returns.index_select(0, mb), loss_opt);
        if (minibatches == 0)  // a diagnostic that must read 0: see L_old above
          first_ratio_dev = std::max(std::abs(last.ratio_max.item<double>() - 1.0),
                                     std::abs(last.ratio_min.item<double>() - 1.0));
        clipfrac_sum += last.clipfrac.item<double>(), ++minibatches;
        if (cfg.target_kl && run.MeanOverRanks(last.approx_kl.item<double>()) > *cfg.target_kl) {
          stop = true;  // checked before stepping, as PPO; leaves the epoch loop
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
                {"old_approx_kl", last.old_approx_kl.item<double>()},
                {"approx_kl", last.approx_kl.item<double>()},
                {"fpo_cfm_loss", last.cfm_loss.item<double>()},
                {"fpo_ratio_mean", last.ratio_mean.item<double>()},
                {"fpo_ratio_min", last.ratio_min.item<double>()},
                {"fpo_ratio_max", last.ratio_max.item<double>()},
                {"fpo_logratio_clipfrac", last.logratio_clipfrac.item<double>()},
                {"fpo_first_ratio_deviation", first_ratio_dev}};
    losses.push_back({"clipfrac", minibatches ? clipfrac_sum / minibatches : 0.0});
    run.EndIteration(iteration, rollout_time, update_time, losses, b_returns, b_values);
    if (run.StopRequested()) run.Stop(iteration, run.global_step);  // after a finished update
  }

  // ---------------------------------------------------------------- final evaluation and checkpoint
  return run.Finish(eval_act);
}

}  // namespace s2r::rl
