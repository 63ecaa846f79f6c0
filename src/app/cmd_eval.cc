// `sim2real eval --checkpoint X`: runs a trained policy (PPO or FPO) in simulation and reports success and
// return; with --real, on the real arm and camera (app/real_eval_cmd.h).
#include <cstdio>
#include <cstdlib>

#include "app/cli_util.h"
#include "app/commands.h"
#include "app/jetbot_eval_cmd.h"
#include "app/real_eval_cmd.h"
#ifndef S2R_DEPLOY_ONLY
#include "app/sim_eval.h"
#endif
#include "core/error.h"

namespace s2r::app {

void AddEvalCommand(CLI::App& app) {
  static EnvFlags env;
#ifdef S2R_DEPLOY_ONLY
  struct SimEvalOptions {  // the flags eval shares with the simulation (which this build does not have)
    std::string checkpoint, record_dir, trace_csv;
    int num_episodes = 16, num_envs = 16;
    uint64_t seed = 1;
    bool deterministic = true;
  };
#endif
  static SimEvalOptions opt;
  static RealEvalFlags real;
  static JetbotEvalFlags jetbot;
  static std::string robot = "so100";
  static bool stochastic = false, json = false, on_real = false;
#ifdef S2R_DEPLOY_ONLY
  auto* cmd = app.add_subcommand(
      "eval",
      "Run an exported policy (.onnx) on the real robot and camera (--real; --robot so100 or jetbot)");
#else
  auto* cmd = app.add_subcommand(
      "eval",
      "Evaluate a checkpoint (PPO or FPO, recognised by itself) in simulation, or with --real on the arm");
#endif
  AddEnvFlags(cmd, &env, false);
  cmd->add_option("--checkpoint", opt.checkpoint,
                  "checkpoint (.pt) from sim2real train, or .onnx from export-onnx");
  static CLI::Option* episodes_flag = nullptr;
  episodes_flag =
      cmd->add_option("--num-episodes", opt.num_episodes, "episodes (--real: default and 0 run until Ctrl+C)")
          ->capture_default_str()
          ->check(CLI::NonNegativeNumber);
  static CLI::Option* num_envs_flag = nullptr;
  num_envs_flag = cmd->add_option("--num-envs", opt.num_envs, "parallel envs (simulation)")
                      ->capture_default_str()
                      ->check(CLI::PositiveNumber);
  cmd->add_option("--seed", opt.seed, "random seed")->capture_default_str();
  cmd->add_option("--record-dir", opt.record_dir, "write MP4s of the episodes here");
  cmd->add_option(
      "--trace-csv", opt.trace_csv,
      "write a CSV with a row per env and step: round, step, env, the named observation, the action, "
      "and the reward and success that followed (simulation)");
  cmd->add_flag("--stochastic,--sample-actions", stochastic,
                "sample actions instead of the deterministic ones");
  cmd->add_flag("--json", json, "print one JSON object on stdout");

  const std::string g = "Real robot (--real)";
  cmd->add_flag("--real", on_real, "run on the real robot and camera instead of simulation")->group(g);
  cmd->add_option("--robot", robot,
                  "the real robot: so100 (the arm) or jetbot (the wheels, --robot jetbot below)")
      ->capture_default_str()
      ->group(g);
  cmd->add_flag("--scripted", real.scripted, "the scripted controller instead of a checkpoint")->group(g);
  cmd->add_flag("--continuous-eval,!--no-continuous-eval", real.continuous_eval,
                "no-: wait for Enter before every step (default: continuous)")
      ->group(g);
  static CLI::Option* control_freq_flag = nullptr;
  control_freq_flag =
      cmd->add_option("--control-freq", real.control_freq,
                      "control frequency, Hz (so100: <= 15 recommended; jetbot: default 30, the sim's)")
          ->capture_default_str()
          ->check(CLI::PositiveNumber)
          ->group(g);
  cmd->add_option("--max-episode-steps", real.max_episode_steps, "steps per episode")
      ->capture_default_str()
      ->check(CLI::PositiveNumber)
      ->group(g);
  AddRealSideFlags(cmd, &real.side, {.with_no_robot = false, .group = g});
  const std::string gj = "Jetbot (--real --robot jetbot; --camera: csi, gst:PIPELINE, virtual:PATH or N)";
  // The flags only one robot has: refused with the other, not ignored.
  static std::vector<CLI::Option*> jetbot_only, so100_only;
  jetbot_only = {
      cmd->add_option("--i2c", jetbot.i2c, "the motor board's i2c-dev device")
          ->capture_default_str()
          ->group(gj),
      cmd->add_option("--address", jetbot.address, "the PCA9685's 7-bit address")
          ->capture_default_str()
          ->group(gj),
      cmd->add_option("--board", jetbot.board, "adafruit (MotorHAT) or waveshare (JetBot board)")
          ->capture_default_str()
          ->group(gj),
      cmd->add_option("--max-duty", jetbot.max_duty,
                      "the wheels' set_motors value = the policy's action in [-1, 1] times this, in (0, 1]")
          ->capture_default_str()
          ->group(gj),
      cmd->add_option("--seconds", jetbot.seconds, "run this long, then release the motors (0: until Ctrl+C)")
          ->capture_default_str()
          ->group(gj)};
  for (const char* name :
       {"--scripted", "--continuous-eval", "--max-episode-steps", "--robot-config", "--robot-port",
        "--robot-id", "--calibration-dir", "--env-kwargs-json-path", "--robot-mjcf", "--control-mode"})
    so100_only.push_back(cmd->get_option(name));
  cmd->callback([cmd] {
    if (robot != "so100" && robot != "jetbot")
      throw ConfigError("--robot: expected so100 or jetbot, got '" + robot + "'");
    if (robot == "jetbot" && !on_real)
      throw ConfigError(
          "--robot jetbot: runs on the real Jetbot; pass --real (in simulation --env-id picks "
          "the task)");
    opt.deterministic = !stochastic;
    if (!on_real) {
      RefuseGiven(jetbot_only, "real Jetbot only; pass --real --robot jetbot");
#ifdef S2R_DEPLOY_ONLY
      throw ConfigError(
          "eval: this is the deploy-only build, which runs policies on the robot: pass --real (evaluating in "
          "simulation needs the full build)");
#else
      if (opt.checkpoint.empty()) throw ConfigError("eval: --checkpoint is required (or --real --scripted)");
      if (opt.num_episodes < 1) throw ConfigError("--num-episodes: expected at least 1 in simulation");
      // Without --env-id, the env the checkpoint was trained on (the policy is loaded once, here).
      auto policy = LoadAnyPolicy(opt.checkpoint, opt.seed);
      if (cmd->get_option("--env-id")->count() == 0) env.env_id = policy->meta().env_id;
      PrintSimEval(RunSimEval(*BuildEnvConfig(env), env.env_id, opt, std::move(policy)), json);
      return;
#endif
    }
    // Every flag is checked before the arm is touched: simulation-only flags are refused, not ignored.
    if (num_envs_flag->count() > 0)
      throw ConfigError("--num-envs: simulation only (eval --real runs one arm)");
    if (!opt.trace_csv.empty())
      throw ConfigError("--trace-csv: simulation only (eval --real records the camera with --record-dir)");
    if (robot == "jetbot") {
      RefuseGiven(so100_only, "an SO-100 flag, not used by --robot jetbot");
      if (episodes_flag->count() > 0)
        throw ConfigError("--num-episodes: --robot jetbot runs for --seconds (or until Ctrl+C)");
      jetbot.checkpoint = opt.checkpoint;
      jetbot.env_id = cmd->get_option("--env-id")->count() > 0 ? env.env_id : "";
      jetbot.camera = real.side.camera.empty() ? "csi" : real.side.camera;
      if (control_freq_flag->count() > 0) jetbot.control_freq = real.control_freq;
      jetbot.record_dir = opt.record_dir;
      jetbot.sample_actions = stochastic;
      jetbot.seed = opt.seed;
      jetbot.json = json;
      const int code = RunJetbotEvalCommand(jetbot);
      std::fflush(stdout);
      if (code != 0) std::exit(code);
      return;
    }
    RefuseGiven(jetbot_only, "a Jetbot flag; pass --robot jetbot");
    real.checkpoint = opt.checkpoint;
    real.num_episodes = episodes_flag->count() > 0 ? opt.num_episodes : 0;  // on the arm: until Ctrl+C
    real.sample_actions = stochastic;
    real.record_dir = opt.record_dir;
    real.seed = opt.seed;
    real.json = json;
    const int code = RunRealEvalCommand(env, real);
    std::fflush(stdout);
    if (code != 0) std::exit(code);
  });
}

}  // namespace s2r::app
