#include "app/ppo_flags.h"

#include "core/error.h"

namespace s2r::app {

namespace {

template <typename T>
std::optional<T> ParseOptional(const std::string& text, const std::string& flag) {
  if (text == "None" || text == "none" || text.empty()) return std::nullopt;
  try {
    size_t used = 0;
    const double v = std::stod(text, &used);
    if (used != text.size()) throw std::invalid_argument(text);
    return static_cast<T>(v);
  } catch (const std::exception&) {
    throw ConfigError(flag + ": expected a number or None, got '" + text + "'");
  }
}

// tyro spells booleans --ppo.x / --ppo.no-x.
void BoolFlag(CLI::App* cmd, const std::string& name, bool* value, const std::string& help) {
  cmd->add_flag("--ppo." + name + ",!--ppo.no-" + name, *value,
                help + " (default: " + (*value ? "on" : "off") + ")")
      ->group("PPO (--ppo.*; '_' or '-' in names)");
}

}  // namespace

void AddPpoFlags(CLI::App* cmd, rl::PpoConfig* c, PpoFlagStrings* t) {
  const std::string g = "PPO (--ppo.*; '_' or '-' in names)";
  auto opt = [&](const std::string& name, auto* value, const std::string& help) {
    cmd->add_option("--ppo." + name, *value, help)->capture_default_str()->group(g);
  };
  opt("exp-name", &c->exp_name, "run folder under runs/ (default <env-id>__ppo__<seed>__<unix time>)");
  opt("seed", &c->seed, "random seed");
  BoolFlag(cmd, "torch-deterministic", &c->torch_deterministic, "deterministic torch kernels");
  cmd->add_flag_function(
         "--ppo.cuda,!--ppo.no-cuda",
         [c, t](int64_t n) {
           c->cuda = n > 0;
           t->cuda_given = true;
         },
         "train on CUDA when libtorch has it and sees a GPU, else on the CPU (default: on, as the reference)")
      ->group(g);
  BoolFlag(cmd, "track", &c->track,
           "accepted: Weights & Biases is not reachable from C++; upload the TensorBoard logs with "
           "'wandb sync --sync-tensorboard runs/<exp>'");
  opt("wandb-project-name", &c->wandb_project_name, "recorded in the config (see --ppo.track)");
  opt("wandb-entity", &c->wandb_entity, "recorded in the config (see --ppo.track)");
  opt("wandb-group", &c->wandb_group, "recorded in the config (see --ppo.track)");
  BoolFlag(cmd, "capture-video", &c->capture_video, "MP4 of every evaluation under runs/<exp>/videos");
  BoolFlag(cmd, "save-model", &c->save_model, "write checkpoints");
  BoolFlag(cmd, "evaluate", &c->evaluate, "only evaluate --ppo.checkpoint");
  opt("checkpoint", &c->checkpoint, "checkpoint to evaluate or resume from");
  opt("render-mode", &c->render_mode, "videos: all (policy camera + 512x512 view) or sensors");
  BoolFlag(cmd, "include-state", &c->include_state, "rgb agent also sees the 17-value state");
  opt("total-timesteps", &c->total_timesteps, "env steps to train (underscores allowed: 100_000_000)");
  opt("learning-rate", &c->learning_rate, "Adam learning rate");
  opt("num-envs", &c->num_envs, "parallel training envs");
  opt("num-eval-envs", &c->num_eval_envs, "parallel evaluation envs");
  BoolFlag(cmd, "partial-reset", &c->partial_reset,
           "reset envs that succeed on their own (no-: all at truncation)");
  BoolFlag(cmd, "eval-partial-reset", &c->eval_partial_reset, "partial resets in evaluation");
  opt("num-steps", &c->num_steps, "rollout steps per env per iteration");
  opt("num-eval-steps", &c->num_eval_steps, "steps per evaluation");
  opt("reconfiguration-freq", &t->reconfiguration_freq,
      "training envs re-draw cube size etc. every k resets (None: never)");
  opt("eval-reconfiguration-freq", &t->eval_reconfiguration_freq, "the same for evaluation envs");
  opt("control-mode", &c->control_mode, "the env's control mode (default pd_joint_target_delta_pos)");
  BoolFlag(cmd, "anneal-lr", &c->anneal_lr, "decay the learning rate linearly to 0");
  opt("gamma", &c->gamma, "discount");
  opt("gae-lambda", &c->gae_lambda, "GAE lambda");
  opt("num-minibatches", &c->num_minibatches, "minibatches per epoch");
  opt("update-epochs", &c->update_epochs, "epochs per update");
  BoolFlag(cmd, "norm-adv", &c->norm_adv, "normalize advantages per minibatch");
  opt("clip-coef", &c->clip_coef, "surrogate clipping");
  BoolFlag(cmd, "clip-vloss", &c->clip_vloss, "clip the value loss");
  opt("ent-coef", &c->ent_coef, "entropy bonus (PPO; accepted by FPO, which has no tractable entropy)");
  opt("vf-coef", &c->vf_coef, "value loss weight");
  opt("max-grad-norm", &c->max_grad_norm, "gradient norm clip");
  opt("target-kl", &t->target_kl, "stop an update's epochs above this approx KL (None: never)");
  opt("reward-scale", &c->reward_scale, "reward multiplier");
  opt("eval-freq", &c->eval_freq, "iterations between evaluations and checkpoints");
  opt("save-train-video-freq", &t->save_train_video_freq, "accepted; training videos are not recorded");
  BoolFlag(cmd, "finite-horizon-gae", &c->finite_horizon_gae, "finite-horizon GAE variant");
  opt("threads", &c->threads, "CPU threads for torch and the envs (0: all cores)");
  const std::string f = "FPO (--algo fpo; --ppo.fpo-*)";
  auto fopt = [&](const std::string& name, auto* value, const std::string& help) {
    cmd->add_option("--ppo." + name, *value, help)->capture_default_str()->group(f);
  };
  fopt("fpo-num-steps", &c->fpo_num_steps, "Euler steps from noise to action when sampling");
  fopt("fpo-num-train-samples", &c->fpo_num_train_samples, "(tau, eps) pairs per action in the FPO ratio");
  fopt("fpo-logratio-clip", &t->fpo_logratio_clip, "clamp of each pair's L_old - L_new (None: no clamp)");
  cmd->add_flag("--ppo.fpo-per-sample-ratio,!--ppo.no-fpo-per-sample-ratio", c->fpo_per_sample_ratio,
                "one ratio per (tau, eps) pair instead of per action (FPO++) (default: off)")
      ->group(f);
  cmd->add_flag(
         "--ppo.fpo-store-clipped,!--ppo.no-fpo-store-clipped", c->fpo_store_clipped,
         "store and score the action the env received (the sample clipped to [-1, 1]) instead of the raw "
         "sample, so the flow's samples cannot run away past the bound (default: off)")
      ->group(f);
  cmd->add_flag(
         "--ppo.fpo-aspo,!--ppo.no-fpo-aspo", c->fpo_aspo,
         "FPO++'s asymmetric surrogate: PPO's clip for positive advantages, SPO's quadratic pull of the "
         "ratio towards 1 for negative ones (default: off)")
      ->group(f);
  cmd->add_flag("--ppo.fpo-zero-noise-eval,!--ppo.no-fpo-zero-noise-eval", c->fpo_zero_noise_eval,
                "evaluations flow from zero noise instead of a Gaussian draw (default: on)")
      ->group(f);
  fopt("fpo-cfm-target", &c->fpo_cfm_target,
       "flow-matching loss: velocity (mean (v - u)^2) or noise (eps-MSE, the FPO paper's default)");
  fopt("fpo-cfm-coef", &c->fpo_cfm_coef,
       "weight of mean(L_new), the flow's CFM loss on the rollout's own samples: keeps the flow fitting them "
       "(0: off; too much collapses the samples' spread)");
  fopt(
      "fpo-action-squash", &c->fpo_action_squash,
      "raw flow sample -> env action: clip (to [-1, 1], the FPO sim2real guide) or tanh (MuJoCo Playground); "
      "FPO scores the raw sample either way (unless --ppo.fpo-store-clipped)");
}

void FinishPpoFlags(rl::PpoConfig* c, const PpoFlagStrings& t) {
  c->reconfiguration_freq = ParseOptional<int>(t.reconfiguration_freq, "--ppo.reconfiguration-freq");
  c->eval_reconfiguration_freq =
      ParseOptional<int>(t.eval_reconfiguration_freq, "--ppo.eval-reconfiguration-freq");
  c->target_kl = ParseOptional<double>(t.target_kl, "--ppo.target-kl");
  c->save_train_video_freq = ParseOptional<int>(t.save_train_video_freq, "--ppo.save-train-video-freq");
  c->fpo_logratio_clip = ParseOptional<double>(t.fpo_logratio_clip, "--ppo.fpo-logratio-clip");
  c->Finalize();
}

nlohmann::json PpoConfigToJson(const rl::PpoConfig& c) {
  auto opt = [](const auto& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
  return {{"exp_name", c.exp_name},
          {"seed", c.seed},
          {"torch_deterministic", c.torch_deterministic},
          {"cuda", c.cuda},
          {"track", c.track},
          {"wandb_project_name", c.wandb_project_name},
          {"wandb_entity", c.wandb_entity},
          {"wandb_group", c.wandb_group},
          {"capture_video", c.capture_video},
          {"save_model", c.save_model},
          {"evaluate", c.evaluate},
          {"checkpoint", c.checkpoint},
          {"render_mode", c.render_mode},
          {"include_state", c.include_state},
          {"obs_mode", c.obs_mode},
          {"env_id", c.env_id},
          {"total_timesteps", c.total_timesteps},
          {"learning_rate", c.learning_rate},
          {"num_envs", c.num_envs},
          {"num_eval_envs", c.num_eval_envs},
          {"partial_reset", c.partial_reset},
          {"eval_partial_reset", c.eval_partial_reset},
          {"num_steps", c.num_steps},
          {"num_eval_steps", c.num_eval_steps},
          {"reconfiguration_freq", opt(c.reconfiguration_freq)},
          {"eval_reconfiguration_freq", opt(c.eval_reconfiguration_freq)},
          {"control_mode", c.control_mode},
          {"anneal_lr", c.anneal_lr},
          {"gamma", c.gamma},
          {"gae_lambda", c.gae_lambda},
          {"num_minibatches", c.num_minibatches},
          {"update_epochs", c.update_epochs},
          {"norm_adv", c.norm_adv},
          {"clip_coef", c.clip_coef},
          {"clip_vloss", c.clip_vloss},
          {"ent_coef", c.ent_coef},
          {"vf_coef", c.vf_coef},
          {"max_grad_norm", c.max_grad_norm},
          {"target_kl", opt(c.target_kl)},
          {"reward_scale", c.reward_scale},
          {"eval_freq", c.eval_freq},
          {"save_train_video_freq", opt(c.save_train_video_freq)},
          {"finite_horizon_gae", c.finite_horizon_gae},
          {"fpo_num_steps", c.fpo_num_steps},
          {"fpo_num_train_samples", c.fpo_num_train_samples},
          {"fpo_logratio_clip", opt(c.fpo_logratio_clip)},
          {"fpo_per_sample_ratio", c.fpo_per_sample_ratio},
          {"fpo_aspo", c.fpo_aspo},
          {"fpo_store_clipped", c.fpo_store_clipped},
          {"fpo_cfm_coef", c.fpo_cfm_coef},
          {"fpo_zero_noise_eval", c.fpo_zero_noise_eval},
          {"fpo_cfm_target", c.fpo_cfm_target},
          {"fpo_action_squash", c.fpo_action_squash},
          {"batch_size", c.batch_size},
          {"minibatch_size", c.minibatch_size},
          {"num_iterations", c.num_iterations}};
}

}  // namespace s2r::app
