#include "app/ppo_flags.h"

#include <cmath>
#include <sstream>

#include "core/error.h"

namespace s2r::app {

namespace {

template <typename T>
std::optional<T> ParseOptional(const std::string& text, const std::string& flag) {
  if (text == "None" || text == "none" || text.empty()) return std::nullopt;
  const char* what = std::is_integral_v<T> ? "an integer or None" : "a number or None";
  try {
    size_t used = 0;
    const double v = std::stod(text, &used);
    if (used != text.size() || !std::isfinite(v)) throw std::invalid_argument(text);
    if (std::is_integral_v<T> && v != std::floor(v)) throw std::invalid_argument(text);
    return static_cast<T>(v);
  } catch (const std::exception&) {
    throw ConfigError(flag + ": expected " + what + ", got '" + text + "'");
  }
}

template <typename T>
std::string OptText(const std::optional<T>& v) {
  if (!v) return "None";
  std::ostringstream s;
  s << *v;
  return s.str();
}

constexpr OnResume kSafe = OnResume::kSafe;
constexpr OnResume kChanges = OnResume::kChangesRun;
constexpr OnResume kNot = OnResume::kNotCarried;

const char* kPpoGroup = "PPO (--ppo.*; '_' or '-' in names)";
const char* kFpoGroup = "FPO (--algo fpo; --ppo.fpo-*)";
const char* kDistillGroup = "Distillation (--algo distill; --distill.*)";

}  // namespace

std::string PpoField::json_key() const {
  std::string k = name;
  for (char& c : k)
    if (c == '-') c = '_';
  return k;
}

std::vector<PpoField> PpoFields(rl::PpoConfig* c) {
  std::vector<PpoField> f = {
      {"exp-name", &c->exp_name, "run folder under runs/ (default <env-id>__ppo__<seed>__<unix time>)", kNot},
      {"seed", &c->seed, "random seed", kChanges},
      {"torch-deterministic", &c->torch_deterministic, "deterministic torch kernels", kSafe},
      {"cuda", &c->cuda,
       "train on CUDA when libtorch has it and sees a GPU, else on the CPU (as the reference)", kSafe},
      {"track", &c->track,
       "accepted: Weights & Biases is not reachable from C++; upload the TensorBoard logs with "
       "'wandb sync --sync-tensorboard runs/<exp>'",
       kSafe},
      {"wandb-project-name", &c->wandb_project_name, "recorded in the config (see --ppo.track)", kSafe},
      {"wandb-entity", &c->wandb_entity, "recorded in the config (see --ppo.track)", kSafe},
      {"wandb-group", &c->wandb_group, "recorded in the config (see --ppo.track)", kSafe},
      {"capture-video", &c->capture_video, "MP4 of every evaluation under runs/<exp>/videos", kSafe},
      {"save-model", &c->save_model, "write checkpoints", kSafe},
      {"evaluate", &c->evaluate, "only evaluate --ppo.checkpoint", kNot},
      {"checkpoint", &c->checkpoint, "checkpoint to evaluate or resume from", kNot},
      {"render-mode", &c->render_mode, "videos: all (policy camera + 512x512 view) or sensors", kSafe},
      {"include-state", &c->include_state, "rgb agent also sees the 17-value state", kChanges},
      {"total-timesteps", &c->total_timesteps, "env steps to train (underscores allowed: 100_000_000)",
       kSafe},
      {"learning-rate", &c->learning_rate, "Adam learning rate", kChanges},
      {"num-envs", &c->num_envs, "parallel training envs", kChanges},
      {"num-eval-envs", &c->num_eval_envs, "parallel evaluation envs", kSafe},
      {"partial-reset", &c->partial_reset, "reset envs that succeed on their own (no-: all at truncation)",
       kChanges},
      {"eval-partial-reset", &c->eval_partial_reset, "partial resets in evaluation", kSafe},
      {"num-steps", &c->num_steps, "rollout steps per env per iteration", kChanges},
      {"num-eval-steps", &c->num_eval_steps, "steps per evaluation", kSafe},
      {"reconfiguration-freq", &c->reconfiguration_freq,
       "training envs re-draw cube size etc. every k resets (None: never)", kChanges},
      {"eval-reconfiguration-freq", &c->eval_reconfiguration_freq, "the same for evaluation envs", kSafe},
      {"control-mode", &c->control_mode, "the env's control mode (default pd_joint_target_delta_pos)",
       kChanges},
      {"anneal-lr", &c->anneal_lr, "decay the learning rate linearly to 0", kChanges},
      {"gamma", &c->gamma, "discount", kChanges},
      {"gae-lambda", &c->gae_lambda, "GAE lambda", kChanges},
      {"num-minibatches", &c->num_minibatches, "minibatches per epoch", kChanges},
      {"update-epochs", &c->update_epochs, "epochs per update", kChanges},
      {"norm-adv", &c->norm_adv, "normalize advantages per minibatch", kChanges},
      {"norm-obs", &c->norm_obs,
       "normalize the state observation by running mean and variance (CleanRL), clipped to +-10", kChanges},
      {"clip-coef", &c->clip_coef, "surrogate clipping", kChanges},
      {"clip-vloss", &c->clip_vloss, "clip the value loss", kChanges},
      {"ent-coef", &c->ent_coef, "entropy bonus (PPO; accepted by FPO, which has no tractable entropy)",
       kChanges},
      {"vf-coef", &c->vf_coef, "value loss weight", kChanges},
      {"max-grad-norm", &c->max_grad_norm, "gradient norm clip", kChanges},
      {"target-kl", &c->target_kl, "stop an update's epochs above this approx KL (None: never)", kChanges},
      {"reward-scale", &c->reward_scale, "reward multiplier", kChanges},
      {"eval-freq", &c->eval_freq, "iterations between evaluations and checkpoints", kSafe},
      {"save-train-video-freq", &c->save_train_video_freq, "accepted; training videos are not recorded",
       kSafe},
      {"finite-horizon-gae", &c->finite_horizon_gae, "finite-horizon GAE variant", kChanges},
      {"threads", &c->threads, "CPU threads for torch and the envs (0: all cores)", kSafe},
  };
  const std::vector<PpoField> fpo = {
      {"fpo-num-steps", &c->fpo_num_steps, "Euler steps from noise to action when sampling"},
      {"fpo-num-train-samples", &c->fpo_num_train_samples, "(tau, eps) pairs per action in the FPO ratio"},
      {"fpo-logratio-clip", &c->fpo_logratio_clip, "clamp of each pair's L_old - L_new (None: no clamp)"},
      {"fpo-per-sample-ratio", &c->fpo_per_sample_ratio,
       "one ratio per (tau, eps) pair instead of per action (FPO++)"},
      {"fpo-aspo", &c->fpo_aspo,
       "FPO++'s asymmetric surrogate: PPO's clip for positive advantages, SPO's quadratic pull of the ratio "
       "towards 1 for negative ones"},
      {"fpo-store-clipped", &c->fpo_store_clipped,
       "store and score the action the env received (the sample clipped to [-1, 1]) instead of the raw "
       "sample, so the flow's samples cannot run away past the bound"},
      {"fpo-cfm-coef", &c->fpo_cfm_coef,
       "weight of mean(L_new), the flow's CFM loss on the rollout's own samples: keeps the flow fitting them "
       "(0: off; too much collapses the samples' spread)"},
      {"fpo-zero-noise-eval", &c->fpo_zero_noise_eval,
       "evaluations flow from zero noise instead of a Gaussian draw"},
      {"fpo-cfm-target", &c->fpo_cfm_target,
       "flow-matching loss: velocity (mean (v - u)^2) or noise (eps-MSE, the FPO paper's default)"},
      {"fpo-action-squash", &c->fpo_action_squash,
       "raw flow sample -> env action: clip (to [-1, 1], the FPO sim2real guide) or tanh (MuJoCo "
       "Playground); "
       "FPO scores the raw sample either way (unless --ppo.fpo-store-clipped)"},
  };
  for (PpoField x : fpo) {
    x.on_resume = kChanges;
    x.fpo = true;
    f.push_back(std::move(x));
  }
  return f;
}

namespace {
void AddFieldFlags(CLI::App* cmd, const std::vector<PpoField>& fields) {
  for (const PpoField& field : fields) {
    const std::string group = field.prefix == "--distill." ? kDistillGroup
                              : field.fpo                  ? kFpoGroup
                                                           : kPpoGroup;
    const std::string flag = field.flag();
    std::visit(
        [&](auto* p) {
          using T = std::remove_pointer_t<decltype(p)>;
          if constexpr (std::is_same_v<T, bool>) {  // tyro spells booleans --ppo.x / --ppo.no-x
            cmd->add_flag(flag + ",!" + field.prefix + "no-" + field.name, *p,
                          field.help + " (default: " + (*p ? "on" : "off") + ")")
                ->group(group);
          } else if constexpr (std::is_same_v<T, std::optional<int>> ||
                               std::is_same_v<T, std::optional<double>>) {
            cmd->add_option_function<std::string>(
                   flag,
                   [p, flag](const std::string& s) { *p = ParseOptional<typename T::value_type>(s, flag); },
                   field.help)
                ->default_str(OptText(*p))
                ->group(group);
          } else if constexpr (std::is_same_v<T, uint64_t>) {  // CLI11 would wrap "-1" around
            cmd->add_option(flag, *p, field.help)
                ->capture_default_str()
                ->check(CLI::Validator(
                    [flag](std::string& v) -> std::string {
                      return v.find_first_not_of("0123456789") == std::string::npos && !v.empty()
                                 ? std::string()
                                 : "expected a non-negative integer, got '" + v + "'";
                    },
                    "UINT", "non-negative integer"))
                ->group(group);
          } else {
            cmd->add_option(flag, *p, field.help)->capture_default_str()->group(group);
          }
        },
        field.ref);
  }
}

nlohmann::json FieldsToJson(const std::vector<PpoField>& fields) {
  nlohmann::json j = nlohmann::json::object();
  for (const PpoField& field : fields) {
    std::visit(
        [&](auto* p) {
          using T = std::remove_pointer_t<decltype(p)>;
          if constexpr (std::is_same_v<T, std::optional<int>> || std::is_same_v<T, std::optional<double>>)
            j[field.json_key()] = *p ? nlohmann::json(**p) : nlohmann::json(nullptr);
          else
            j[field.json_key()] = *p;
        },
        field.ref);
  }
  return j;
}

void FieldsFromJson(const nlohmann::json& j, const std::vector<PpoField>& fields, const std::string& what) {
  if (!j.is_object()) throw ConfigError(what + ": expected a JSON object of settings");
  for (const PpoField& field : fields)
    std::visit(
        [&](auto* p) {
          using T = std::remove_pointer_t<decltype(p)>;
          const auto it = j.find(field.json_key());
          if (it == j.end()) return;
          try {
            if constexpr (std::is_same_v<T, std::optional<int>> || std::is_same_v<T, std::optional<double>>) {
              if (it->is_null())
                p->reset();
              else
                *p = it->template get<typename T::value_type>();
            } else {
              *p = it->template get<T>();
            }
          } catch (const nlohmann::json::exception&) {
            throw ConfigError(what + ": key '" + field.json_key() + "' holds " + it->dump() +
                              ", not a value of its type");
          }
        },
        field.ref);
}
}  // namespace

void AddPpoFlags(CLI::App* cmd, rl::PpoConfig* c) { AddFieldFlags(cmd, PpoFields(c)); }

void FinishPpoFlags(rl::PpoConfig* c) { c->Finalize(); }

nlohmann::json PpoConfigToJson(const rl::PpoConfig& cfg) {
  rl::PpoConfig copy = cfg;
  nlohmann::json j = FieldsToJson(PpoFields(&copy));
  j["obs_mode"] = cfg.obs_mode;
  j["env_id"] = cfg.env_id;
  j["batch_size"] = cfg.batch_size;
  j["minibatch_size"] = cfg.minibatch_size;
  j["num_iterations"] = cfg.num_iterations;
  return j;
}

void PpoConfigFromJson(const nlohmann::json& j, rl::PpoConfig* cfg, const std::string& what) {
  FieldsFromJson(j, PpoFields(cfg), what);
  if (j.contains("obs_mode") && j["obs_mode"].is_string()) cfg->obs_mode = j["obs_mode"];
  if (j.contains("env_id") && j["env_id"].is_string()) cfg->env_id = j["env_id"];
}

std::vector<PpoField> DistillFields(DistillFlags* d) {
  rl::DistillConfig& c = d->cfg;
  std::vector<PpoField> f = {
      {"beta-start", &c.beta_start,
       "probability that the teacher's action is executed in the first iteration"},
      {"beta-decay", &c.beta_decay,
       "beta of iteration k is beta_start * beta_decay^(k-1) (0: the teacher acts in the first iteration "
       "only, "
       "then the student, as brax's DAgger)"},
      {"beta-decay-steps", &c.beta_decay_steps,
       "> 0: beta falls linearly from beta_start to 0 over this many env steps instead"},
      {"buffer-size", &c.buffer_size, "recent labelled batches (iterations) the update trains on"},
      {"epochs", &c.epochs, "passes over the kept batches per iteration"},
      {"loss", &d->loss, "mse or huber, between the student's mean and the teacher's clipped action"},
      {"huber-delta", &c.huber_delta, "the Huber loss's delta"},
      {"copy-teacher-std", &c.copy_teacher_std, "start the student's log-std at a PPO teacher's"},
      {"student-sample", &c.student_sample,
       "the student acts with samples of its Gaussian instead of its mean"},
      {"augment-shift", &c.augment_shift,
       "random-shift image augmentation: pad and crop by up to N pixels (0: off)"},
  };
  for (auto& x : f) x.prefix = "--distill.";
  return f;
}

void AddDistillFlags(CLI::App* cmd, DistillFlags* d) { AddFieldFlags(cmd, DistillFields(d)); }

void FinishDistillFlags(DistillFlags* d) {
  if (d->loss == "mse")
    d->cfg.loss = rl::DistillLoss::kMse;
  else if (d->loss == "huber")
    d->cfg.loss = rl::DistillLoss::kHuber;
  else
    throw ConfigError("--distill.loss: expected mse or huber, got '" + d->loss + "'");
  d->cfg.Validate();
}

nlohmann::json DistillFlagsToJson(const DistillFlags& d) {
  DistillFlags copy = d;
  return FieldsToJson(DistillFields(&copy));
}

void DistillFlagsFromJson(const nlohmann::json& j, DistillFlags* d, const std::string& what) {
  FieldsFromJson(j, DistillFields(d), what);
}

namespace {
std::string ValueText(const FieldRef& ref) {
  return std::visit(
      [](auto* p) -> std::string {
        using T = std::remove_pointer_t<decltype(p)>;
        if constexpr (std::is_same_v<T, std::optional<int>> || std::is_same_v<T, std::optional<double>>) {
          return OptText(*p);
        } else if constexpr (std::is_same_v<T, bool>) {
          return *p ? "on" : "off";
        } else if constexpr (std::is_same_v<T, std::string>) {
          return "'" + *p + "'";
        } else {
          std::ostringstream s;
          s << *p;
          return s.str();
        }
      },
      ref);
}
}  // namespace

std::vector<FieldChange> DiffFields(const std::vector<PpoField>& fa, const std::vector<PpoField>& fb,
                                    const std::function<bool(const PpoField&)>& was_given) {
  std::vector<FieldChange> out;
  for (size_t i = 0; i < fa.size(); ++i) {
    if (!was_given(fa[i])) continue;
    const bool same = std::visit(
        [&](auto* pa) {
          using P = decltype(pa);
          return *pa == *std::get<P>(fb[i].ref);
        },
        fa[i].ref);
    if (!same) out.push_back({fa[i].name, fa[i].on_resume, ValueText(fa[i].ref), ValueText(fb[i].ref)});
  }
  return out;
}

void CopyField(const std::string& name, const std::vector<PpoField>& src, const std::vector<PpoField>& dst) {
  for (size_t i = 0; i < src.size(); ++i) {
    if (src[i].name != name) continue;
    std::visit(
        [&](auto* ps) {
          using P = decltype(ps);
          *std::get<P>(dst[i].ref) = *ps;
        },
        src[i].ref);
    return;
  }
  throw std::logic_error("CopyField: no field " + name);
}

}  // namespace s2r::app
