// `sim2real scripted`: runs the env's hand-written controller and reports its success (and grasp) rate.
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "app/cli_util.h"
#include "app/commands.h"
#include "core/progress.h"
#include "sim/scripted_episodes.h"

namespace s2r::app {

namespace {
struct ScriptedFlags {
  EnvFlags env;
  int num_episodes = 200;
  uint64_t seed = 1;
  int num_envs = 16;
  int threads = DefaultThreads();
  bool json = false;
};
}  // namespace

void AddScriptedCommand(CLI::App& app) {
  static ScriptedFlags f;
  auto* cmd = app.add_subcommand("scripted",
                                 "Run the env's scripted controller (SO100GraspCube-v1: IK on the MuJoCo "
                                 "Jacobian) through the policy action interface and report its success rate");
  AddEnvFlags(cmd, &f.env, false);
  cmd->add_option("--num-episodes", f.num_episodes, "episodes to run")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--seed", f.seed, "random seed")->capture_default_str();
  cmd->add_option("--num-envs", f.num_envs, "parallel envs")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--threads", f.threads, "worker threads")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--json", f.json, "print one JSON object on stdout");
  cmd->callback([] {
    const std::unique_ptr<sim::EnvConfig> cfg_ptr = BuildEnvConfig(f.env);
    const sim::EnvConfig& cfg = *cfg_ptr;
    ProgressBar bar(f.num_episodes, "scripted", "ep");
    const sim::ScriptedStats s =
        sim::RunScriptedEpisodes(f.env.env_id, cfg, f.num_episodes, f.seed, f.num_envs, f.threads,
                                 [&](int done) { bar.Update(done); });
    bar.Finish();
    if (f.json) {
      nlohmann::json out = {{"env_id", f.env.env_id},
                            {"control_mode", cfg.control_mode_name()},
                            {"episodes", s.episodes},
                            {"seed", f.seed},
                            {"success_rate", s.success_rate},
                            {"mean_return", s.mean_return},
                            {"mean_success_step", s.mean_success_step},
                            {"diverged", s.diverged}};
      if (s.grasp_rate) out["grasp_rate"] = *s.grasp_rate;
      std::cout << out.dump() << "\n";
      return;
    }
    std::printf("%s scripted controller, %d episodes (seed %llu, %s)\n", f.env.env_id.c_str(), s.episodes,
                static_cast<unsigned long long>(f.seed), cfg.control_mode_name().c_str());
    std::printf("  success rate  %.3f\n", s.success_rate);
    if (s.grasp_rate) std::printf("  grasp rate    %.3f\n", *s.grasp_rate);
    std::printf("  mean return   %.2f (%s reward)\n", s.mean_return, cfg.reward_mode_name().c_str());
    std::printf("  mean step of success %.1f of %d\n", s.mean_success_step, cfg.max_episode_steps);
    if (s.diverged) std::printf("  diverged simulations reset: %lld\n", static_cast<long long>(s.diverged));
  });
}

}  // namespace s2r::app
