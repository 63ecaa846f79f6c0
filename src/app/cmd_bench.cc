// `sim2real bench env`: engine env-steps/s next to a plain MuJoCo loop, as ratios, medians of rounds.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <vector>

#include "app/cli_util.h"
#include "app/commands.h"
#include "core/progress.h"
#include "sim/env_bench.h"

namespace s2r::app {

namespace {

struct BenchEnvFlags {
  EnvFlags env;
  int num_envs = 256;
  int threads = DefaultThreads();
  double seconds = 2.0;
  int rounds = 3;
  uint64_t seed = 0;
  bool json = false;
};

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

void RunBenchEnv(const BenchEnvFlags& f) {
  const sim::GraspCubeConfig cfg = BuildEnvConfig(f.env);
  std::vector<double> raw, one, many;
  const bool multi = f.threads > 1;
  ProgressBar bar(f.rounds * (multi ? 3 : 2), "bench env", "runs");
  int done = 0;
  for (int r = 0; r < f.rounds; ++r) {
    raw.push_back(sim::BenchRawMujoco(cfg, f.num_envs, f.seconds, f.seed + r).steps_per_sec);
    bar.Update(++done);
    one.push_back(sim::BenchEngine(cfg, f.num_envs, 1, f.seconds, f.seed + r).steps_per_sec);
    bar.Update(++done);
    if (multi) {
      many.push_back(sim::BenchEngine(cfg, f.num_envs, f.threads, f.seconds, f.seed + r).steps_per_sec);
      bar.Update(++done);
    }
  }
  bar.Finish();
  const double mem = sim::MemoryPerEnvBytes(cfg);
  const double raw_m = Median(raw), one_m = Median(one), many_m = multi ? Median(many) : one_m;
  nlohmann::json out = {{"env_id", f.env.env_id},
                        {"num_envs", f.num_envs},
                        {"threads", f.threads},
                        {"rounds", f.rounds},
                        {"seconds_per_run", f.seconds},
                        {"raw_mujoco_steps_per_sec", raw_m},
                        {"engine_1_thread_steps_per_sec", one_m},
                        {"engine_steps_per_sec", many_m},
                        {"ratio_vs_raw_mujoco", one_m / raw_m},
                        {"ratio_vs_raw_mujoco_at_threads", many_m / raw_m},
                        {"thread_scaling", many_m / one_m},
                        {"memory_per_env_bytes", mem}};
  if (f.json) {
    std::cout << out.dump() << "\n";
    return;
  }
  std::printf("bench env: %s, %d envs, state obs, random actions; median of %d runs of %.1f s\n",
              f.env.env_id.c_str(), f.num_envs, f.rounds, f.seconds);
  std::printf("  raw MuJoCo loop (1 thread)   %10.0f env steps/s   (baseline)\n", raw_m);
  std::printf("  engine, 1 thread             %10.0f env steps/s   ratio_vs_raw_mujoco %.3f  (goal >= 0.9)\n",
              one_m, one_m / raw_m);
  if (multi)
    std::printf("  engine, %d threads            %10.0f env steps/s   %.2fx 1 thread  (goal >= 1.7 at 2)\n",
                f.threads, many_m, many_m / one_m);
  std::printf("  memory per env               %10.1f KiB\n", mem / 1024.0);
}

}  // namespace

void AddBenchCommand(CLI::App& app) {
  auto* bench = app.add_subcommand("bench", "Benchmarks of the hot paths, each beside its baseline");
  bench->require_subcommand(1);
  static BenchEnvFlags f;
  auto* env =
      bench->add_subcommand("env", "Env steps/s of the engine vs a plain MuJoCo loop, and memory per env");
  AddEnvFlags(env, &f.env, false);
  env->add_option("--num-envs", f.num_envs, "envs in the batch")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  env->add_option("--threads", f.threads, "engine worker threads")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  env->add_option("--seconds", f.seconds, "seconds per measurement")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  env->add_option("--rounds", f.rounds, "rounds; medians are reported")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  env->add_option("--seed", f.seed, "random seed")->capture_default_str();
  env->add_flag("--json", f.json, "print one JSON object on stdout");
  env->callback([] { RunBenchEnv(f); });
}

}  // namespace s2r::app
