// `sim2real train --algo ppo|fpo ...`: the lerobot-sim2real training commands (PPO guide and FPO guide),
// verbatim flags.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "app/cli_util.h"
#include "app/commands.h"
#include "app/ppo_flags.h"
#include "app/sim_env_adapter.h"
#include "app/sim_eval.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "rl/device.h"
#include "rl/policy.h"
#include "rl/train.h"
#include "sim/env_registry.h"

namespace fs = std::filesystem;

namespace s2r::app {

namespace {

struct TrainFlags {
  std::string algo = "ppo";
  EnvFlags env;
  bool resume_training = false;
  std::string checkpoint;
  bool json = false;
  bool dry_run = false;
  rl::PpoConfig ppo;
  PpoFlagStrings ppo_text;
};

// A new run never writes into another run's folder (its logs would be appended to, its checkpoints mixed).
void RequireNewRunFolder(const std::string& run_dir) {
  std::error_code ec;
  if (!fs::is_directory(run_dir, ec)) return;
  for (const auto& e : fs::directory_iterator(run_dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name == "metrics.csv" || e.path().extension() == ".pt" || name.rfind("events.out.tfevents", 0) == 0)
      throw ConfigError("run folder '" + run_dir + "' already holds a run (" + name +
                        "): pass another --ppo.exp-name, continue it with --resume-training --checkpoint " +
                        run_dir + "/<ckpt>.pt, or remove the folder");
  }
}

std::unique_ptr<VecEnvAdapter> MakeEnvs(const sim::GraspCubeConfig& cfg, const std::string& env_id,
                                        int num_envs, int threads, uint64_t seed, bool partial_reset,
                                        std::optional<int> reconfiguration_freq) {
  sim::VecEnvConfig v;
  v.num_envs = num_envs;
  v.num_threads = threads;
  v.seed = seed;
  v.ignore_terminations = !partial_reset;
  v.reconfiguration_freq = reconfiguration_freq.value_or(0);
  return std::make_unique<VecEnvAdapter>(sim::MakeVecEnv(env_id, cfg, v), threads);
}

void RunTrain(TrainFlags& f) {
  if (f.algo != "ppo" && f.algo != "fpo")
    throw ConfigError("--algo: expected ppo or fpo, got '" + f.algo + "'");
  rl::PpoConfig& c = f.ppo;
  FinishPpoFlags(&c, f.ppo_text);
  if (!f.checkpoint.empty()) c.checkpoint = f.checkpoint;
  c.resume_training = f.resume_training;
  c.env_id = f.env.env_id;
  c.obs_mode = f.env.obs_mode;
  if (c.threads <= 0) c.threads = DefaultThreads();
  if (c.track)
    std::fprintf(
        stderr,
        "sim2real: --ppo.track: Weights & Biases cannot be reached from C++; TensorBoard logs are written "
        "to the run folder; upload them with: wandb sync --sync-tensorboard <run folder>\n");
  const bool on_cuda = rl::TrainsOnCuda(c.cuda);
  if (c.cuda && !on_cuda && f.ppo_text.cuda_given)  // asked for on the command line, not just the default
    std::fprintf(
        stderr,
        "sim2real: --ppo.cuda: this libtorch has no CUDA or sees no GPU; training on the CPU (Debian's "
        "libtorch is CPU-only: build against a CUDA libtorch to train on a GPU)\n");
  const char* device = on_cuda ? "cuda" : "cpu";
  if (f.algo == "fpo" && c.ent_coef != 0)
    std::fprintf(stderr,
                 "sim2real: --ppo.ent-coef=%g is ignored by FPO: a flow policy has no tractable entropy\n",
                 c.ent_coef);
  if (!c.control_mode.empty()) f.env.control_mode = c.control_mode;
  const sim::GraspCubeConfig env_cfg = BuildEnvConfig(f.env);

  if (f.dry_run) {  // the resolved configuration, without building envs or training
    std::cout << nlohmann::json({{"algo", f.algo},
                                 {"env_id", f.env.env_id},
                                 {"obs_mode", c.obs_mode},
                                 {"env_kwargs_json_path", f.env.env_kwargs_json_path},
                                 {"resume_training", c.resume_training},
                                 {"device", device},
                                 {"ppo", PpoConfigToJson(c)}})
                     .dump()
              << "\n";
    return;
  }
  if (c.evaluate) {
    if (c.checkpoint.empty()) throw ConfigError("--ppo.evaluate: needs --ppo.checkpoint (or --checkpoint)");
    SimEvalOptions e;
    e.checkpoint = c.checkpoint;
    e.num_envs = c.num_eval_envs;
    e.num_episodes = c.num_eval_envs;
    e.seed = c.seed;
    e.record_dir = (fs::path(c.checkpoint).parent_path() / "test_videos").string();
    PrintSimEval(RunSimEval(env_cfg, f.env.env_id, e), f.json);
    return;
  }

  std::string run_dir;
  if (c.resume_training) {
    if (c.checkpoint.empty()) throw ConfigError("--resume-training: needs --checkpoint PATH");
    const rl::CheckpointMeta meta = rl::ReadCheckpointMeta(c.checkpoint);
    RequireCompatible(meta, f.env.env_id, c.obs_mode, "--checkpoint " + c.checkpoint, f.algo);
    run_dir = c.exp_name.empty() ? fs::path(c.checkpoint).parent_path().string()
                                 : (fs::path(c.runs_dir) / c.exp_name).string();
  } else {
    if (c.exp_name.empty()) {
      const auto now = std::chrono::system_clock::now().time_since_epoch();
      c.exp_name = f.env.env_id + "__" + f.algo + "__" + std::to_string(c.seed) + "__" +
                   std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now).count());
    }
    run_dir = (fs::path(c.runs_dir) / c.exp_name).string();
    RequireNewRunFolder(run_dir);
  }
  fs::create_directories(run_dir);
  nlohmann::json config = {{"algo", f.algo},
                           {"env_id", f.env.env_id},
                           {"obs_mode", c.obs_mode},
                           {"env_kwargs_json_path", f.env.env_kwargs_json_path},
                           {"ppo", PpoConfigToJson(c)}};
  WriteFileAtomic((fs::path(run_dir) / "config.json").string(), config.dump(2) + "\n");

  auto envs =
      MakeEnvs(env_cfg, f.env.env_id, c.num_envs, c.threads, c.seed, c.partial_reset, c.reconfiguration_freq);
  auto eval_envs = MakeEnvs(env_cfg, f.env.env_id, c.num_eval_envs, c.threads, c.seed + 1'000'003,
                            c.eval_partial_reset, c.eval_reconfiguration_freq);
  std::fprintf(stderr,
               "sim2real: training %s with %s (%s obs) on the %s for %lld steps: %lld iterations of %lld; "
               "run folder %s\n",
               f.env.env_id.c_str(), f.algo.c_str(), c.obs_mode.c_str(), on_cuda ? "GPU (CUDA)" : "CPU",
               static_cast<long long>(c.total_timesteps), static_cast<long long>(c.num_iterations),
               static_cast<long long>(c.batch_size), run_dir.c_str());
  const rl::TrainOutcome out = f.algo == "fpo" ? rl::TrainFpo(c, config.dump(), run_dir, *envs, *eval_envs)
                                               : rl::TrainPpo(c, config.dump(), run_dir, *envs, *eval_envs);
  nlohmann::json summary = {{"run_dir", run_dir},
                            {"device", device},
                            {"final_checkpoint", out.final_checkpoint},
                            {"global_step", out.global_step},
                            {"best_eval_success_once", out.best_eval_success_once},
                            {"last_eval_success_once", out.last_eval_success_once},
                            {"seconds", out.seconds}};
  if (f.json) {
    std::cout << summary.dump() << "\n";
    return;
  }
  std::printf("trained %lld env steps in %.0f s; eval success_once: last %.2f, best %.2f\n",
              static_cast<long long>(out.global_step), out.seconds, out.last_eval_success_once,
              out.best_eval_success_once);
  std::printf(
      "  checkpoint  %s\n  plot        %s/eval_curves.png\n  videos      %s/videos/\n"
      "  logs        tensorboard --logdir %s\n",
      out.final_checkpoint.c_str(), run_dir.c_str(), run_dir.c_str(), c.runs_dir.c_str());
}

}  // namespace

void AddTrainCommand(CLI::App& app) {
  static TrainFlags f;
  auto* cmd = app.add_subcommand(
      "train", "Train a policy with PPO or FPO (lerobot-sim2real's train commands, same flags)");
  cmd->add_option("--algo", f.algo, "ppo (Gaussian policy) or fpo (flow-matching policy, --ppo.fpo-* flags)")
      ->capture_default_str();
  f.env.obs_mode = "rgb";
  AddEnvFlags(cmd, &f.env, true);
  cmd->add_flag("--resume-training", f.resume_training,
                "continue --checkpoint's run with its step count and logs");
  cmd->add_option("--checkpoint", f.checkpoint,
                  "checkpoint to resume from (or to evaluate with --ppo.evaluate)");
  cmd->add_flag("--json", f.json, "print a JSON summary on stdout at the end");
  cmd->add_flag("--dry-run", f.dry_run, "print the resolved configuration as JSON and exit");
  cmd->add_option("--runs-dir", f.ppo.runs_dir, "folder of the run folders")->capture_default_str();
  AddPpoFlags(cmd, &f.ppo, &f.ppo_text);
  cmd->callback([] { RunTrain(f); });
}

}  // namespace s2r::app
