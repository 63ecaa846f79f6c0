// `sim2real eval --checkpoint X`: runs a trained policy in simulation and reports success and return.
#include "app/cli_util.h"
#include "app/commands.h"
#include "app/sim_eval.h"

namespace s2r::app {

void AddEvalCommand(CLI::App& app) {
  static EnvFlags env;
  static SimEvalOptions opt;
  static bool stochastic = false, json = false;
  auto* cmd =
      app.add_subcommand("eval", "Evaluate a checkpoint in simulation (PPO or FPO, recognised by itself)");
  AddEnvFlags(cmd, &env, false);
  cmd->add_option("--checkpoint", opt.checkpoint, "checkpoint (.pt) from sim2real train")->required();
  cmd->add_option("--num-episodes", opt.num_episodes, "episodes")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--num-envs", opt.num_envs, "parallel envs")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--seed", opt.seed, "random seed")->capture_default_str();
  cmd->add_option("--record-dir", opt.record_dir, "write MP4s of the episodes here");
  cmd->add_flag("--stochastic", stochastic, "sample actions instead of the deterministic mean");
  cmd->add_flag("--json", json, "print one JSON object on stdout");
  cmd->callback([] {
    opt.deterministic = !stochastic;
    PrintSimEval(RunSimEval(BuildEnvConfig(env), env.env_id, opt), json);
  });
}

}  // namespace s2r::app
