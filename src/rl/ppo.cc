// PPO, top to bottom: setup, then per iteration: evaluate (every eval_freq), anneal the learning rate,
// collect num_steps x num_envs transitions, compute GAE, run update_epochs of minibatch updates, log.
// The CleanRL / ManiSkill ppo_rgb.py recipe; tensor shapes are noted as [T, N, ...] (steps, envs).
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <vector>

#include "core/error.h"
#include "core/progress.h"
#include "rl/agent.h"
#include "rl/checkpoint.h"
#include "rl/evaluate.h"
#include "rl/gae.h"
#include "rl/ppo_loss.h"
#include "rl/ppo_train.h"
#include "rl/run_log.h"

namespace fs = std::filesystem;

namespace s2r::rl {

namespace {
using Clock = std::chrono::steady_clock;
double Since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }
}  // namespace

void PpoConfig::Finalize() {
  auto require = [](bool ok, const std::string& flag, const std::string& expected) {
    if (!ok) throw ConfigError("--ppo." + flag + ": expected " + expected);
  };
  require(num_envs >= 1, "num-envs", "at least 1");
  require(num_eval_envs >= 1, "num-eval-envs", "at least 1");
  require(num_steps >= 1, "num-steps", "at least 1");
  require(num_eval_steps >= 1, "num-eval-steps", "at least 1");
  require(num_minibatches >= 1, "num-minibatches", "at least 1");
  require(update_epochs >= 1, "update-epochs", "at least 1");
  require(total_timesteps >= 1, "total-timesteps", "at least 1");
  require(learning_rate > 0, "learning-rate", "a positive number");
  require(gamma >= 0 && gamma <= 1, "gamma", "a number in [0, 1]");
  require(gae_lambda >= 0 && gae_lambda <= 1, "gae-lambda", "a number in [0, 1]");
  require(eval_freq >= 1, "eval-freq", "at least 1");
  require(obs_mode == "rgb" || obs_mode == "state", "obs-mode", "rgb or state");
  batch_size = static_cast<int64_t>(num_envs) * num_steps;
  minibatch_size = batch_size / num_minibatches;
  require(minibatch_size >= 1, "num-minibatches",
          "at most num_envs * num_steps (" + std::to_string(batch_size) + ")");
  num_iterations = std::max<int64_t>(1, total_timesteps / batch_size);
}

TrainOutcome TrainPpo(const PpoConfig& cfg, const std::string& config_json, const std::string& run_dir,
                      EnvBatch& envs, EnvBatch& eval_envs) {
  // ---------------------------------------------------------------- setup
  torch::manual_seed(cfg.seed);
  if (cfg.threads > 0) torch::set_num_threads(cfg.threads);  // libtorch defaults to 1 thread here
  const torch::Device device = cfg.cuda && torch::cuda::is_available() ? torch::kCUDA : torch::kCPU;
  const int N = envs.num_envs(), T = cfg.num_steps, D = envs.obs_dim(), A = envs.action_dim();
  const int H = envs.image_height(), W = envs.image_width();
  const bool rgb = H > 0;
  AgentSpec spec{D, A, H, W, cfg.include_state};
  Agent agent(spec);
  agent->to(device);
  torch::optim::Adam optimizer(agent->parameters(), torch::optim::AdamOptions(cfg.learning_rate).eps(1e-5));

  CheckpointMeta meta;
  meta.algo = "ppo";
  meta.env_id = cfg.env_id;
  meta.obs_mode = cfg.obs_mode;
  meta.config_json = config_json;
  meta.obs_dim = D, meta.action_dim = A, meta.image_height = H, meta.image_width = W;
  meta.include_state = cfg.include_state;

  int64_t start_iteration = 1, global_step = 0;
  if (cfg.resume_training) {
    const CheckpointMeta old = LoadCheckpoint(cfg.checkpoint, agent, &optimizer);
    start_iteration = old.iteration + 1;
    global_step = old.global_step;
  }
  fs::create_directories(run_dir);
  RunLog log(run_dir);
  if (!cfg.resume_training) log.Text("hyperparameters", "```\n" + config_json + "\n```", 0);

  // Rollout storage on the training device.
  const auto f32 = torch::TensorOptions().dtype(torch::kFloat32).device(device);
  auto obs = torch::zeros({T, N, D}, f32);  // [T, N, D]
  torch::Tensor images;                     // [T, N, H, W, 3] uint8
  if (rgb) images = torch::zeros({T, N, H, W, 3}, torch::TensorOptions().dtype(torch::kUInt8).device(device));
  auto actions = torch::zeros({T, N, A}, f32);
  auto logprobs = torch::zeros({T, N}, f32);
  auto rewards = torch::zeros({T, N}, f32);
  auto dones = torch::zeros({T, N}, f32);
  auto values = torch::zeros({T, N}, f32);
  auto final_values = torch::zeros({T, N}, f32);

  // Zero-copy views of the engine's batch buffers (copied once into the rollout storage).
  auto env_obs = [&](const float* p) { return torch::from_blob(const_cast<float*>(p), {N, D}).to(device); };
  auto env_img = [&](const uint8_t* p) {
    return rgb ? torch::from_blob(const_cast<uint8_t*>(p), {N, H, W, 3}, torch::kUInt8).to(device)
               : torch::Tensor();
  };

  envs.Reset();
  auto next_done = torch::zeros({N}, torch::kFloat32);  // CPU, filled from the engine's flags
  std::vector<float> action_buf(static_cast<size_t>(N) * A);
  // Per-env episode accumulators for train/* metrics.
  std::vector<double> ep_ret(static_cast<size_t>(N), 0.0);
  std::vector<int> ep_len(static_cast<size_t>(N), 0);
  std::vector<uint8_t> ep_once(static_cast<size_t>(N), 0);

  TrainOutcome out;
  double total_rollout = 0, total_update = 0, total_eval = 0;
  const auto start = Clock::now();
  ProgressBar bar((cfg.num_iterations - start_iteration + 1) * cfg.batch_size, "train ppo", "steps");
  std::string status;

  auto evaluate = [&](int64_t iteration, bool save_checkpoint) {
    const auto t0 = Clock::now();
    agent->eval();
    EvalVideoOptions video;
    if (cfg.capture_video) {
      fs::create_directories(fs::path(run_dir) / "videos");
      video.path = (fs::path(run_dir) / "videos" / ("eval_" + std::to_string(global_step) + ".mp4")).string();
      video.policy_camera = cfg.render_mode == "all";
    }
    const EvalStats s = RunEvaluation(
        eval_envs, cfg.num_eval_steps,
        [&](const float* o, const uint8_t* img, float* act) {
          torch::NoGradGuard no_grad;
          auto mean =
              agent->ActionMean(env_obs(o), env_img(img)).clamp(-1.0, 1.0).to(torch::kCPU).contiguous();
          std::memcpy(act, mean.data_ptr<float>(),
                      sizeof(float) * static_cast<size_t>(eval_envs.num_envs()) * A);
        },
        video);
    agent->train();
    const double dt = Since(t0);
    total_eval += dt;
    log.Scalar("eval/success_once", s.success_once, global_step);
    log.Scalar("eval/success_at_end", s.success_at_end, global_step);
    log.Scalar("eval/return", s.return_mean, global_step);
    log.Scalar("eval/episode_len", s.episode_len, global_step);
    log.Scalar("eval/reward", s.reward, global_step);
    log.Scalar("time/eval_time", dt, global_step);
    log.Scalar("time/total_eval_time", total_eval, global_step);
    log.PlotEvalCurves();
    out.last_eval_success_once = s.success_once;
    out.best_eval_success_once = std::max(out.best_eval_success_once, s.success_once);
    std::ostringstream st;
    st.precision(2);
    st << "eval success " << s.success_once << " (it " << iteration << ")";
    status = st.str();
    if (cfg.save_model && save_checkpoint) {
      meta.iteration = iteration - 1;  // the iterations completed so far
      meta.global_step = global_step;
      SaveCheckpoint((fs::path(run_dir) / ("ckpt_" + std::to_string(iteration) + ".pt")).string(), meta,
                     agent, optimizer);
    }
  };

  for (int64_t iteration = start_iteration; iteration <= cfg.num_iterations; ++iteration) {
    // ------------------------------------------------------------ evaluate
    // (a resumed run already evaluated and saved at its first iteration before it stopped)
    const bool resumed_here = cfg.resume_training && iteration == start_iteration;
    if ((iteration - 1) % cfg.eval_freq == 0 && !resumed_here) evaluate(iteration, true);

    // ------------------------------------------------------------ learning rate
    if (cfg.anneal_lr) {
      const double frac = 1.0 - (iteration - 1.0) / cfg.num_iterations;
      for (auto& g : optimizer.param_groups())
        static_cast<torch::optim::AdamOptions&>(g.options()).lr(frac * cfg.learning_rate);
    }

    // ------------------------------------------------------------ rollout
    const auto t_rollout = Clock::now();
    final_values.zero_();
    agent->eval();
    for (int t = 0; t < T; ++t) {
      global_step += N;
      const auto o = env_obs(envs.obs());
      const auto img = env_img(envs.image());
      obs[t].copy_(o);
      if (rgb) images[t].copy_(img);
      dones[t].copy_(next_done);
      {
        torch::NoGradGuard no_grad;
        const ActionSample s = agent->ActionAndValue(o, img);
        actions[t].copy_(s.action);
        logprobs[t].copy_(s.log_prob);
        values[t].copy_(s.value);
        // The env receives the action clipped to its [-1, 1] box; the raw sample is what PPO scores.
        const auto sent = s.action.clamp(-1.0, 1.0).to(torch::kCPU).contiguous();
        std::memcpy(action_buf.data(), sent.data_ptr<float>(), sizeof(float) * action_buf.size());
      }
      envs.Step(action_buf.data());
      const auto r = torch::from_blob(const_cast<float*>(envs.reward()), {N}).to(device);
      rewards[t].copy_(r * cfg.reward_scale);
      std::vector<int64_t> done_idx;
      float* next_done_p = next_done.data_ptr<float>();
      double sum_ret = 0, sum_len = 0, sum_rew = 0, sum_once = 0, sum_end = 0;
      for (int i = 0; i < N; ++i) {
        const size_t u = static_cast<size_t>(i);
        const bool done = envs.terminated()[i] || envs.truncated()[i];
        next_done_p[i] = done ? 1.0f : 0.0f;
        ep_ret[u] += envs.reward()[i];
        ++ep_len[u];
        ep_once[u] |= envs.success()[i];
        if (!done) continue;
        done_idx.push_back(i);
        sum_ret += ep_ret[u], sum_len += ep_len[u], sum_rew += ep_ret[u] / std::max(1, ep_len[u]);
        sum_once += ep_once[u], sum_end += envs.success()[i];
        ep_ret[u] = 0, ep_len[u] = 0, ep_once[u] = 0;
      }
      if (!done_idx.empty()) {  // the mean over the episodes that ended at this step, as the reference
        const double k = static_cast<double>(done_idx.size());
        log.Scalar("train/return", sum_ret / k, global_step);
        log.Scalar("train/episode_len", sum_len / k, global_step);
        log.Scalar("train/reward", sum_rew / k, global_step);
        log.Scalar("train/success_once", sum_once / k, global_step);
        log.Scalar("train/success_at_end", sum_end / k, global_step);
      }
      if (!done_idx.empty()) {
        // Bootstrap from the final observation of every episode that just ended.
        torch::NoGradGuard no_grad;
        const auto idx = torch::tensor(done_idx, torch::kLong).to(device);
        const auto fo = env_obs(envs.final_obs()).index_select(0, idx);
        const auto fi = rgb ? env_img(envs.final_image()).index_select(0, idx) : torch::Tensor();
        final_values[t].index_put_({idx}, agent->Value(fo, fi));
      }
    }
    const double rollout_time = Since(t_rollout);
    total_rollout += rollout_time;

    // ------------------------------------------------------------ GAE
    torch::Tensor advantages, returns;
    {
      torch::NoGradGuard no_grad;
      const auto next_value = agent->Value(env_obs(envs.obs()), env_img(envs.image()));
      advantages = ComputeGae(rewards, values, dones, final_values, next_value, next_done.to(device),
                              cfg.gamma, cfg.gae_lambda, cfg.finite_horizon_gae);
      returns = advantages + values;
    }

    // ------------------------------------------------------------ update
    const auto t_update = Clock::now();
    agent->train();
    const int64_t B = static_cast<int64_t>(N) * T;
    const auto b_obs = obs.reshape({B, D});
    const auto b_img = rgb ? images.reshape({B, H, W, 3}) : torch::Tensor();
    const auto b_actions = actions.reshape({B, A});
    const auto b_logprobs = logprobs.reshape({B});
    const auto b_adv = advantages.reshape({B});
    const auto b_returns = returns.reshape({B});
    const auto b_values = values.reshape({B});
    std::vector<double> clipfracs;
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
        if (cfg.norm_adv) mb_adv = (mb_adv - mb_adv.mean()) / (mb_adv.std() + 1e-8);
        last = PpoLoss(s.log_prob, b_logprobs.index_select(0, mb), mb_adv, s.value,
                       b_values.index_select(0, mb), b_returns.index_select(0, mb), s.entropy, cfg.clip_coef,
                       cfg.clip_vloss, cfg.ent_coef, cfg.vf_coef);
        clipfracs.push_back(last.clipfrac.item<double>());
        if (cfg.target_kl && last.approx_kl.item<double>() > *cfg.target_kl) {
          stop = true;  // the reference checks before stepping and leaves the epoch loop
          break;
        }
        optimizer.zero_grad();
        last.loss.backward();
        torch::nn::utils::clip_grad_norm_(agent->parameters(), cfg.max_grad_norm);
        optimizer.step();
      }
    }
    const double update_time = Since(t_update);
    total_update += update_time;

    // ------------------------------------------------------------ log
    const double var_y = b_returns.var().item<double>();
    const double explained_var =
        var_y == 0 ? std::nan("") : 1.0 - (b_returns - b_values).var().item<double>() / var_y;
    double mean_clip = 0;
    for (double c : clipfracs) mean_clip += c;
    if (!clipfracs.empty()) mean_clip /= static_cast<double>(clipfracs.size());
    const double lr = static_cast<torch::optim::AdamOptions&>(optimizer.param_groups()[0].options()).lr();
    log.Scalar("charts/learning_rate", lr, global_step);
    if (last.loss.defined()) {
      log.Scalar("losses/value_loss", last.value_loss.item<double>(), global_step);
      log.Scalar("losses/policy_loss", last.policy_loss.item<double>(), global_step);
      log.Scalar("losses/entropy", last.entropy.item<double>(), global_step);
      log.Scalar("losses/old_approx_kl", last.old_approx_kl.item<double>(), global_step);
      log.Scalar("losses/approx_kl", last.approx_kl.item<double>(), global_step);
    }
    log.Scalar("losses/clipfrac", mean_clip, global_step);
    log.Scalar("losses/explained_variance", explained_var, global_step);
    const double sps = static_cast<double>(B) / (rollout_time + update_time);
    log.Scalar("charts/SPS", sps, global_step);
    log.Scalar("time/step", static_cast<double>(global_step), global_step);
    log.Scalar("time/update_time", update_time, global_step);
    log.Scalar("time/rollout_time", rollout_time, global_step);
    log.Scalar("time/rollout_fps", static_cast<double>(B) / rollout_time, global_step);
    log.Scalar("time/total_rollout_time", total_rollout, global_step);
    log.Scalar("time/total_update_time", total_update, global_step);
    log.Scalar("time/total_rollout+update_time", total_rollout + total_update, global_step);
    std::ostringstream st;
    st << static_cast<int>(sps) << " SPS, " << status;
    bar.Update((iteration - start_iteration + 1) * cfg.batch_size, st.str());
    out.iterations = iteration;
  }

  // ---------------------------------------------------------------- final evaluation and checkpoint
  evaluate(cfg.num_iterations + 1, false);
  bar.Finish(status);
  meta.iteration = cfg.num_iterations;
  meta.global_step = global_step;
  out.final_checkpoint = (fs::path(run_dir) / "final_ckpt.pt").string();
  if (cfg.save_model) SaveCheckpoint(out.final_checkpoint, meta, agent, optimizer);
  log.Flush();
  out.global_step = global_step;
  out.seconds = Since(start);
  return out;
}

}  // namespace s2r::rl
