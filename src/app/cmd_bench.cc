// `sim2real bench env`: engine env-steps/s next to a plain MuJoCo loop, as ratios, medians of rounds.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <vector>

#include "app/cli_util.h"
#include "app/commands.h"
#include "app/render_bench.h"
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

struct BenchRenderFlags {
  EnvFlags env;
  int num_envs = 256;
  int threads = DefaultThreads();
  int resolution = 128;
  double seconds = 2.0;
  int rounds = 3;
  uint64_t seed = 0;
  bool json = false;
};

void RunBenchRender(const BenchRenderFlags& f) {
  const sim::GraspCubeConfig cfg = BuildEnvConfig(f.env);
  std::vector<double> batch, gl, gl_rgb;
  ProgressBar bar(f.rounds, "bench render", "rounds");
  for (int r = 0; r < f.rounds; ++r) {
    const RenderBenchResult res =
        BenchRender(cfg, f.num_envs, f.threads, f.resolution, f.seconds, f.seed + r);
    batch.push_back(res.batch_fps);
    gl.push_back(res.gl_fps);
    gl_rgb.push_back(res.gl_rgb_fps);
    bar.Update(r + 1);
  }
  bar.Finish();
  const double b = Median(batch), g = Median(gl), g_rgb = Median(gl_rgb);
  nlohmann::json out = {{"env_id", f.env.env_id},
                        {"num_envs", f.num_envs},
                        {"threads", f.threads},
                        {"resolution", f.resolution},
                        {"rounds", f.rounds},
                        {"batch_frames_per_sec", b},
                        {"mujoco_gl_frames_per_sec", g},
                        {"mujoco_gl_rgb_only_frames_per_sec", g_rgb},
                        {"ratio_vs_mujoco_gl", b / g},
                        {"ratio_vs_mujoco_gl_rgb_only", b / g_rgb}};
  if (f.json) {
    std::cout << out.dump() << "\n";
    return;
  }
  std::printf("bench render: %s, %d envs, %dx%d, RGB + segmentation; median of %d rounds of %.1f s each\n",
              f.env.env_id.c_str(), f.num_envs, f.resolution, f.resolution, f.rounds, f.seconds);
  std::printf("  MuJoCo renderer (OSMesa)      %9.0f frames/s   (baseline; RGB only: %.0f)\n", g, g_rgb);
  std::printf(
      "  batch renderer, %d threads     %9.0f frames/s   ratio_vs_mujoco_gl %.1f  (goal >= 10 and >= 5000 "
      "frames/s at 128x128, 256 envs)\n",
      f.threads, b, b / g);
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
                        {"memory_per_env_bytes", mem},
                        {"obs_mode", f.env.obs_mode}};
  if (f.json) {
    std::cout << out.dump() << "\n";
    return;
  }
  std::printf("bench env: %s, %d envs, %s obs%s, random actions; median of %d runs of %.1f s\n",
              f.env.env_id.c_str(), f.num_envs, f.env.obs_mode.c_str(),
              cfg.obs_mode == sim::ObsMode::kRgb
                  ? (" " + std::to_string(cfg.sensor_width) + "x" + std::to_string(cfg.sensor_height)).c_str()
                  : "",
              f.rounds, f.seconds);
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
  AddEnvFlags(env, &f.env, true);
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

  static BenchRenderFlags rf;
  auto* render = bench->add_subcommand(
      "render", "Frames/s of the batch renderer vs MuJoCo's own renderer (OSMesa) on the same env states");
  AddEnvFlags(render, &rf.env, false);
  render->add_option("--num-envs", rf.num_envs, "envs in the batch")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  render->add_option("--threads", rf.threads, "batch renderer threads")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  render->add_option("--resolution", rf.resolution, "image width and height")
      ->capture_default_str()
      ->check(CLI::Range(8, 2048));
  render->add_option("--seconds", rf.seconds, "seconds per measurement")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  render->add_option("--rounds", rf.rounds, "rounds; medians are reported")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  render->add_option("--seed", rf.seed, "random seed")->capture_default_str();
  render->add_flag("--json", rf.json, "print one JSON object on stdout");
  render->callback([] { RunBenchRender(rf); });
}

}  // namespace s2r::app
