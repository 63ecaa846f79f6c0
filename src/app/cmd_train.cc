// `sim2real train --algo ppo|fpo ...`: the lerobot-sim2real training commands (PPO guide and FPO guide),
// verbatim flags.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "app/cli_util.h"
#include "app/commands.h"
#include "app/policy_loader.h"
#include "app/ppo_flags.h"
#include "app/sim_env_adapter.h"
#include "app/sim_eval.h"
#include "app/train_memory.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/stop_signal.h"
#include "rl/device.h"
#include "rl/distill.h"
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
  bool resume_allow_changes = false;
  std::string checkpoint;
  bool json = false;
  bool dry_run = false;
  rl::PpoConfig ppo;
  std::string teacher;  // --algo distill
  DistillFlags distill;
  rl::DistConfig dist;      // --dist.* flags (over torchrun's environment)
  CLI::App* cmd = nullptr;  // to tell which flags were given
};

bool Given(const TrainFlags& f, const std::string& flag) {
  const CLI::Option* o = f.cmd->get_option_no_throw(flag);
  return o != nullptr && o->count() > 0;
}

// What a resume took from its checkpoint and what the command line changed.
struct ResumePlan {
  std::string checkpoint_run_dir;      // the folder the checkpoint is in
  int64_t step = 0, iteration = 0;     // where it continues from
  bool fine_tune = false;              // a distilled student continued with PPO
  std::vector<std::string> overrides;  // "total_timesteps 4000 -> 8000"
};

// A resumed run is the checkpoint's run: every setting comes from the configuration it carries; the
// command line may change what is safe to change (length, evaluation cadence, where it computes) and
// nothing else unless --resume-allow-changes is given. Throws ConfigError (exit 2) naming the flag.
ResumePlan ApplyResume(TrainFlags& f) {
  rl::PpoConfig& c = f.ppo;
  if (f.checkpoint.empty()) f.checkpoint = c.checkpoint;
  if (f.checkpoint.empty()) throw ConfigError("--resume-training: needs --checkpoint PATH");
  const rl::CheckpointMeta meta = ReadCheckpointMetaOf(f.checkpoint);
  const std::string what = "--checkpoint " + f.checkpoint;
  nlohmann::json saved;
  try {
    saved = nlohmann::json::parse(meta.config_json);
  } catch (const nlohmann::json::exception&) {
    throw ConfigError(what + ": its stored training configuration is not JSON; it cannot be resumed");
  }
  if (!saved.is_object() || !saved.contains("ppo"))
    throw ConfigError(what + ": holds no training configuration; it cannot be resumed");

  // The env and algorithm: the network was built for them, so they never change, except that a distilled
  // student (a PPO rgb agent) may be fine-tuned with PPO.
  const std::string saved_algo = saved.value("algo", meta.algo);
  const bool fine_tune = Given(f, "--algo") && saved_algo == "distill" && f.algo == "ppo";
  if (Given(f, "--algo") && f.algo != saved_algo && !fine_tune)
    throw ConfigError("--algo: " + what + " was trained with --algo " + saved_algo +
                      "; resume it with --algo " + saved_algo +
                      (saved_algo == "distill" ? " (or fine-tune the student with --algo ppo)" : ""));
  if (Given(f, "--env-id") || Given(f, "--obs-mode"))
    RequireCompatible(meta, f.env.env_id, Given(f, "--obs-mode") ? f.env.obs_mode : "", what);
  f.env.env_id = meta.env_id;
  f.env.obs_mode = meta.obs_mode;

  rl::PpoConfig resumed;
  PpoConfigFromJson(saved["ppo"], &resumed, what);
  ResumePlan plan;
  std::vector<std::string> refused;
  // flag: as typed ("--ppo.num-envs"); the override is recorded under its config key ("num_envs").
  auto change = [&](const std::string& flag, OnResume rule, const std::string& from, const std::string& to,
                    const std::function<void()>& apply) {
    if (rule == OnResume::kChangesRun && !f.resume_allow_changes) {
      refused.push_back(flag + " (" + from + " -> " + to + ")");
      return;
    }
    apply();
    std::string key = flag.substr(flag.find('.') == std::string::npos ? 2 : flag.find('.') + 1);
    std::replace(key.begin(), key.end(), '-', '_');
    plan.overrides.push_back(key + " " + from + " -> " + to);
  };
  // Env settings outside --ppo.*: the env_config file and the robot model.
  const std::string saved_env_json = saved.value("env_kwargs_json_path", std::string());
  if (Given(f, "--env-kwargs-json-path") && f.env.env_kwargs_json_path != saved_env_json)
    change("--env-kwargs-json-path", OnResume::kChangesRun, "'" + saved_env_json + "'",
           "'" + f.env.env_kwargs_json_path + "'", [] {});
  else
    f.env.env_kwargs_json_path = saved_env_json;
  const std::string saved_mjcf = saved.value("robot_mjcf", std::string());
  if (Given(f, "--robot-mjcf") && f.env.robot_mjcf != saved_mjcf)
    change("--robot-mjcf", OnResume::kChangesRun, "'" + saved_mjcf + "'", "'" + f.env.robot_mjcf + "'",
           [] {});
  else
    f.env.robot_mjcf = saved_mjcf;
  if (Given(f, "--control-mode") && f.env.control_mode != resumed.control_mode)
    change("--control-mode", OnResume::kChangesRun, "'" + resumed.control_mode + "'",
           "'" + f.env.control_mode + "'", [&] { resumed.control_mode = f.env.control_mode; });

  auto was_given = [&](const PpoField& fl) { return Given(f, fl.flag()); };
  const auto resumed_fields = PpoFields(&resumed), given_fields = PpoFields(&c);
  for (const FieldChange& d : DiffFields(resumed_fields, given_fields, was_given)) {
    if (d.on_resume == OnResume::kNotCarried) continue;
    change("--ppo." + d.name, d.on_resume, d.from, d.to,
           [&] { CopyField(d.name, given_fields, resumed_fields); });
  }
  if (fine_tune) {
    plan.overrides.push_back("algo distill -> ppo (PPO fine-tunes the distilled student; a fresh optimizer)");
    plan.fine_tune = true;
    f.algo = "ppo";
  } else {
    f.algo = saved_algo;
  }
  if (f.algo == "distill") {  // the teacher and the --distill.* settings come from the run too
    const std::string saved_teacher = saved.value("teacher", std::string());
    if (Given(f, "--teacher") && f.teacher != saved_teacher)
      change("--teacher", OnResume::kChangesRun, "'" + saved_teacher + "'", "'" + f.teacher + "'", [] {});
    else
      f.teacher = saved_teacher;
    DistillFlags resumed_d;
    if (saved.contains("distill")) DistillFlagsFromJson(saved["distill"], &resumed_d, what);
    const auto rd = DistillFields(&resumed_d), gd = DistillFields(&f.distill);
    for (const FieldChange& d : DiffFields(rd, gd, was_given))
      change("--distill." + d.name, d.on_resume, d.from, d.to, [&] { CopyField(d.name, gd, rd); });
    f.distill = resumed_d;
  }
  if (!refused.empty()) {
    std::string list;
    for (const auto& r : refused) list += (list.empty() ? "" : ", ") + r;
    throw ConfigError(list + ": " + what +
                      " was trained with other values, and changing them changes the run; resume without "
                      "them to continue it as it was, or pass --resume-allow-changes to change them anyway");
  }
  // Not properties of the run: this machine's threads, the branch folder, the checkpoint itself.
  resumed.threads = c.threads;
  resumed.exp_name = c.exp_name;
  resumed.runs_dir = c.runs_dir;
  resumed.checkpoint = f.checkpoint;
  resumed.evaluate = false;
  resumed.resume_training = true;
  c = resumed;
  c.Finalize();
  plan.checkpoint_run_dir = fs::path(f.checkpoint).parent_path().string();
  plan.step = meta.global_step;
  plan.iteration = meta.iteration;
  if (meta.iteration + 1 > c.num_iterations)
    throw ConfigError("--ppo.total-timesteps: nothing left to train: " + what + " is at env step " +
                      std::to_string(meta.global_step) + " (iteration " + std::to_string(meta.iteration) +
                      ") and total_timesteps " + std::to_string(c.total_timesteps) + " makes " +
                      std::to_string(c.num_iterations) + " iterations of " + std::to_string(c.batch_size) +
                      " steps; pass a larger --ppo.total-timesteps");
  return plan;
}

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

std::unique_ptr<VecEnvAdapter> MakeEnvs(const sim::EnvConfig& cfg, const std::string& env_id, int num_envs,
                                        int threads, uint64_t seed, bool partial_reset,
                                        std::optional<int> reconfiguration_freq) {
  sim::VecEnvConfig v;
  v.num_envs = num_envs;
  v.num_threads = threads;
  v.seed = seed;
  v.ignore_terminations = !partial_reset;
  v.reconfiguration_freq = reconfiguration_freq.value_or(0);
  return std::make_unique<VecEnvAdapter>(sim::MakeVecEnv(env_id, cfg, v), threads);
}

// The teacher of `train --algo distill`: a state-observation checkpoint of the same env. Throws ConfigError
// naming --teacher.
void RequireTeacher(const std::string& teacher, const std::string& env_id) {
  if (teacher.empty())
    throw ConfigError(
        "--teacher: --algo distill needs a state-observation checkpoint to learn from "
        "(e.g. runs/<state run>/final_ckpt.pt)");
  const rl::CheckpointMeta m = ReadCheckpointMetaOf(teacher, "--teacher");
  if (m.obs_mode != "state")
    throw ConfigError("--teacher " + teacher + ": a " + m.obs_mode +
                      "-observation checkpoint; the teacher must be a state-observation one (train it with "
                      "--obs-mode state)");
  if (m.env_id != env_id)
    throw ConfigError("--teacher " + teacher + ": trained on " + m.env_id + ", not " + env_id);
}

// torchrun's environment, overridden by the --dist.* flags given.
rl::DistConfig ResolveDist(const TrainFlags& f) {
  rl::DistConfig d = rl::DistConfigFromEnvironment();
  if (Given(f, "--dist.world-size")) d.world_size = f.dist.world_size;
  if (Given(f, "--dist.rank")) d.rank = f.dist.rank;
  if (Given(f, "--dist.local-rank")) d.local_rank = f.dist.local_rank;
  if (Given(f, "--dist.master-addr")) d.master_addr = f.dist.master_addr;
  if (Given(f, "--dist.master-port")) d.master_port = f.dist.master_port;
  d.timeout_s = f.dist.timeout_s;
  rl::ValidateDistConfig(d, "--dist.*/torchrun environment:");
  return d;
}

void RunTrain(TrainFlags& f) {
  if (f.algo != "ppo" && f.algo != "fpo" && f.algo != "distill")
    throw ConfigError("--algo: expected ppo, fpo or distill, got '" + f.algo + "'");
  if (!f.resume_training && f.algo != "distill") {
    if (Given(f, "--teacher")) throw ConfigError("--teacher: only with --algo distill");
  }
  rl::PpoConfig& c = f.ppo;
  if (f.resume_allow_changes && !f.resume_training)
    throw ConfigError("--resume-allow-changes: only with --resume-training");
  std::optional<ResumePlan> resume;
  if (f.resume_training) resume = ApplyResume(f);
  c.dist = ResolveDist(f);
  const bool rank0 = c.dist.rank == 0;  // writes the run folder and prints; the other ranks only train
  FinishPpoFlags(&c);
  if (f.algo == "distill") {
    FinishDistillFlags(&f.distill);
    if (f.env.obs_mode != "rgb")
      throw ConfigError(
          "--obs-mode " + f.env.obs_mode +
          ": --algo distill trains an rgb student (the teacher sees the state); use --obs-mode rgb");
    RequireTeacher(f.teacher, f.env.env_id);
    f.distill.cfg.teacher = f.teacher;
  }
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
  if (c.cuda && !on_cuda && Given(f, "--ppo.cuda"))  // asked for on the command line, not just the default
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
  c.control_mode = f.env.control_mode;  // recorded, so a resumed run drives the arm the same way
  const std::unique_ptr<sim::EnvConfig> env_cfg = BuildEnvConfig(f.env);
  // The training envs: a distillation student's also write the teacher's state beside the image.
  const std::unique_ptr<sim::EnvConfig> train_cfg = env_cfg->Clone();
  train_cfg->privileged_state = f.algo == "distill";

  if (f.dry_run) {  // the resolved configuration, without building envs or training
    nlohmann::json dry =
        nlohmann::json({{"algo", f.algo},
                        {"env_id", f.env.env_id},
                        {"obs_mode", c.obs_mode},
                        {"env_kwargs_json_path", f.env.env_kwargs_json_path},
                        {"resume_training", c.resume_training},
                        {"overrides", resume ? resume->overrides : std::vector<std::string>()},
                        {"device", device},
                        {"ppo", PpoConfigToJson(c)}});
    if (f.algo == "distill") dry["teacher"] = f.teacher, dry["distill"] = DistillFlagsToJson(f.distill);
    std::cout << dry.dump() << "\n";
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
    PrintSimEval(RunSimEval(*env_cfg, f.env.env_id, e), f.json);
    return;
  }

  // Before the run folder: a run that cannot fit in memory is refused with the arithmetic.
  RequireMemoryFits(
      EstimateTrainMemory(c, f.env.env_id, *train_cfg, f.algo == "distill" ? f.distill.cfg.buffer_size : 0),
      AvailableMemoryBytes(), c);

  std::string run_dir;
  if (resume) {
    run_dir = resume->checkpoint_run_dir;
    if (!c.exp_name.empty() && fs::path(c.runs_dir) / c.exp_name != fs::path(run_dir)) {
      run_dir = (fs::path(c.runs_dir) / c.exp_name).string();  // a branch of the run, in a folder of its own
      RequireNewRunFolder(run_dir);
    }
    c.exp_name = fs::path(run_dir).filename().string();
    std::string over;
    for (const auto& o : resume->overrides) over += (over.empty() ? "" : ", ") + o;
    std::fprintf(
        stderr,
        "sim2real: resuming %s from %s at env step %lld (iteration %lld of %lld) with the settings it "
        "was trained with%s%s\n",
        run_dir.c_str(), c.checkpoint.c_str(), static_cast<long long>(resume->step),
        static_cast<long long>(resume->iteration), static_cast<long long>(c.num_iterations),
        over.empty() ? "" : "; changed: ", over.c_str());
  } else {
    if (c.exp_name.empty() && c.dist.enabled()) {        // every rank must name the same folder
      const char* t = std::getenv("SIM2REAL_RUN_TIME");  // set by `sim2real launch`
      if (t == nullptr || *t == 0)
        throw ConfigError("--ppo.exp-name: a distributed run (WORLD_SIZE " +
                          std::to_string(c.dist.world_size) +
                          ") needs a run name that every rank shares; pass --ppo.exp-name NAME or start it "
                          "with `sim2real launch`");
      c.exp_name = f.env.env_id + "__" + f.algo + "__" + std::to_string(c.seed) + "__" + t;
    }
    if (c.exp_name.empty()) {
      const auto now = std::chrono::system_clock::now().time_since_epoch();
      c.exp_name = f.env.env_id + "__" + f.algo + "__" + std::to_string(c.seed) + "__" +
                   std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now).count());
    }
    run_dir = (fs::path(c.runs_dir) / c.exp_name).string();
    if (rank0) RequireNewRunFolder(run_dir);
  }
  nlohmann::json config = {{"algo", f.algo},
                           {"env_id", f.env.env_id},
                           {"obs_mode", c.obs_mode},
                           {"env_kwargs_json_path", f.env.env_kwargs_json_path},
                           {"robot_mjcf", f.env.robot_mjcf},
                           {"ppo", PpoConfigToJson(c)}};
  if (f.algo == "distill") config["teacher"] = f.teacher, config["distill"] = DistillFlagsToJson(f.distill);
  if (c.dist.enabled())  // each rank steps num_envs envs; an update averages every rank's gradients
    config["dist"] = {{"world_size", c.dist.world_size},
                      {"global_batch_size", c.batch_size * c.dist.world_size},
                      {"global_num_envs", static_cast<int64_t>(c.num_envs) * c.dist.world_size}};
  if (rank0) {
    fs::create_directories(run_dir);
    WriteFileAtomic((fs::path(run_dir) / "config.json").string(), config.dump(2) + "\n");
  }

  // Each rank's envs draw their own episodes (seed + rank); rank 0's are the single-process run's.
  auto envs = MakeEnvs(*train_cfg, f.env.env_id, c.num_envs, c.threads,
                       c.seed + static_cast<uint64_t>(c.dist.rank), c.partial_reset, c.reconfiguration_freq);
  auto eval_envs = MakeEnvs(*env_cfg, f.env.env_id, c.num_eval_envs, c.threads, c.seed + 1'000'003,
                            c.eval_partial_reset, c.eval_reconfiguration_freq);
  if (rank0) {
    const std::string ranks = c.dist.enabled() ? " over " + std::to_string(c.dist.world_size) + " ranks" : "";
    std::fprintf(
        stderr,
        "sim2real: training %s with %s (%s obs) on the %s for %lld steps: %lld iterations of %lld%s; "
        "run folder %s\n",
        f.env.env_id.c_str(), f.algo.c_str(), c.obs_mode.c_str(), on_cuda ? "GPU (CUDA)" : "CPU",
        static_cast<long long>(c.total_timesteps), static_cast<long long>(c.num_iterations),
        static_cast<long long>(c.batch_size * c.dist.world_size), ranks.c_str(), run_dir.c_str());
  }
  if (resume && resume->fine_tune) c.resume_weights_only = true;
  InstallStopSignals(SecondSignal::kExitNow);  // Ctrl+C: checkpoint and exit 130; a second one: at once
  const rl::TrainOutcome out =
      f.algo == "fpo"       ? rl::TrainFpo(c, config.dump(), run_dir, *envs, *eval_envs)
      : f.algo == "distill" ? rl::TrainDistill(c, f.distill.cfg, config.dump(), run_dir, *envs, *eval_envs)
                            : rl::TrainPpo(c, config.dump(), run_dir, *envs, *eval_envs);
  if (!rank0) return;  // rank 0 reports the run
  nlohmann::json summary = {{"run_dir", run_dir},
                            {"device", device},
                            {"final_checkpoint", out.final_checkpoint},
                            {"global_step", out.global_step},
                            {"best_eval_success_once", out.best_eval_success_once},
                            {"last_eval_success_once", out.last_eval_success_once},
                            {"seconds", out.seconds}};
  if (resume)
    summary["resumed_from"] = {
        {"checkpoint", c.checkpoint}, {"global_step", resume->step}, {"overrides", resume->overrides}};
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
  cmd->add_option(
         "--algo", f.algo,
         "ppo (Gaussian policy), fpo (flow-matching policy, --ppo.fpo-* flags) or distill (an rgb student "
         "learns a state --teacher's actions, DAgger, --distill.* flags)")
      ->capture_default_str();
  cmd->add_option(
      "--teacher", f.teacher,
      "--algo distill: the state-observation checkpoint (PPO or FPO .pt) whose actions the student learns");
  f.env.obs_mode = "rgb";
  AddEnvFlags(cmd, &f.env, true);
  cmd->add_flag("--resume-training", f.resume_training,
                "continue --checkpoint's run with its settings, step count and logs (flags may change only "
                "--ppo.total-timesteps, evaluation cadence, videos, threads and device)");
  cmd->add_flag("--resume-allow-changes", f.resume_allow_changes,
                "with --resume-training: also let flags change settings that change the run (num_envs, "
                "learning rate, clip ...); the changes are printed and recorded in config.json");
  cmd->add_option("--checkpoint", f.checkpoint,
                  "checkpoint to resume from (or to evaluate with --ppo.evaluate)");
  cmd->add_flag("--json", f.json, "print a JSON summary on stdout at the end");
  cmd->add_flag("--dry-run", f.dry_run, "print the resolved configuration as JSON and exit");
  cmd->add_option("--runs-dir", f.ppo.runs_dir, "folder of the run folders")->capture_default_str();
  AddPpoFlags(cmd, &f.ppo);
  AddDistillFlags(cmd, &f.distill);
  const std::string dg = "Data-parallel (torchrun's variables, or these; `sim2real launch` sets them)";
  cmd->add_option("--dist.world-size", f.dist.world_size, "ranks in the job (WORLD_SIZE)")->group(dg);
  cmd->add_option("--dist.rank", f.dist.rank, "this process's rank (RANK); rank 0 writes the run")->group(dg);
  cmd->add_option("--dist.local-rank", f.dist.local_rank, "its rank on this machine (LOCAL_RANK)")->group(dg);
  cmd->add_option("--dist.master-addr", f.dist.master_addr, "rank 0's host (MASTER_ADDR)")->group(dg);
  cmd->add_option("--dist.master-port", f.dist.master_port, "rank 0's rendezvous port (MASTER_PORT)")
      ->group(dg);
  cmd->add_option("--dist.timeout", f.dist.timeout_s,
                  "seconds a rank waits for a lost or stalled peer before the run stops with an error")
      ->capture_default_str()
      ->group(dg);
  f.cmd = cmd;
  cmd->callback([] { RunTrain(f); });
}

}  // namespace s2r::app
