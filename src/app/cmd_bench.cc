// `sim2real bench env|render|update`: each hot path beside its baseline, as ratios, medians of rounds.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <vector>

#include "app/cli_util.h"
#include "app/commands.h"
#include "app/policy_bench.h"
#include "app/render_bench.h"
#include "core/error.h"
#include "core/progress.h"
#include "core/stats.h"
#include "rl/compute_threads.h"
#include "rl/update_bench.h"
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
  const auto cfg_ptr = BuildEnvConfig(f.env);
  const sim::EnvConfig& cfg = *cfg_ptr;
  std::vector<double> batch, gl, gl_rgb;
  ProgressBar bar(f.rounds, "bench render", "rounds");
  for (int r = 0; r < f.rounds; ++r) {
    const RenderBenchResult res =
        BenchRender(f.env.env_id, cfg, f.num_envs, f.threads, f.resolution, f.seconds, f.seed + r);
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
  const auto cfg_ptr = BuildEnvConfig(f.env);
  const sim::EnvConfig& cfg = *cfg_ptr;
  std::vector<double> raw, one, many;
  const bool multi = f.threads > 1;
  ProgressBar bar(f.rounds * (multi ? 3 : 2), "bench env", "runs");
  int done = 0;
  for (int r = 0; r < f.rounds; ++r) {
    raw.push_back(sim::BenchRawMujoco(f.env.env_id, cfg, f.num_envs, f.seconds, f.seed + r).steps_per_sec);
    bar.Update(++done);
    one.push_back(sim::BenchEngine(f.env.env_id, cfg, f.num_envs, 1, f.seconds, f.seed + r).steps_per_sec);
    bar.Update(++done);
    if (multi) {
      many.push_back(
          sim::BenchEngine(f.env.env_id, cfg, f.num_envs, f.threads, f.seconds, f.seed + r).steps_per_sec);
      bar.Update(++done);
    }
  }
  bar.Finish();
  const double mem = sim::MemoryPerEnvBytes(f.env.env_id, cfg);
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
  std::printf(
      "bench env: %s, %d envs, %s obs%s, random actions; median of %d runs of whole episodes, >= %.1f s "
      "each\n",
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

struct BenchUpdateFlags {
  std::string obs_mode = "state";
  int resolution = 128;
  int minibatch = 400;
  int minibatches = 0;  // 0: 64 (state) or 8 (rgb)
  int threads = DefaultThreads();
  int rounds = 3;
  bool json = false;
};

// The PPO update with OpenBLAS kept to one thread under libtorch's (what training does) vs both libraries
// at the core count (their defaults), alternating within each round.
void RunBenchUpdate(BenchUpdateFlags f) {
  if (f.obs_mode != "state" && f.obs_mode != "rgb")
    throw ConfigError("--obs-mode: expected state or rgb, got " + f.obs_mode);
  const bool rgb = f.obs_mode == "rgb";
  if (f.minibatches <= 0) f.minibatches = rgb ? 8 : 64;
  rl::UpdateBenchSpec spec;
  spec.obs_dim = rgb ? 17 : 31;
  spec.image_size = rgb ? f.resolution : 0;
  spec.minibatch = f.minibatch;
  spec.minibatches = f.minibatches;
  std::vector<double> base, ours;
  ProgressBar bar(f.rounds * 2, "bench update", "runs");
  for (int r = 0; r < f.rounds; ++r) {
    spec.seed = static_cast<uint64_t>(r);
    rl::SetComputeThreads(f.threads);
    rl::SetBlasThreads(f.threads);
    base.push_back(rl::BenchPpoUpdate(spec));
    bar.Update(2 * r + 1);
    rl::SetComputeThreads(f.threads);
    ours.push_back(rl::BenchPpoUpdate(spec));
    bar.Update(2 * r + 2);
  }
  bar.Finish();
  const double b = Median(base), o = Median(ours);
  nlohmann::json out = {{"obs_mode", f.obs_mode},
                        {"resolution", rgb ? f.resolution : 0},
                        {"minibatch", f.minibatch},
                        {"minibatches", f.minibatches},
                        {"threads", f.threads},
                        {"rounds", f.rounds},
                        {"baseline_seconds_per_minibatch", b},
                        {"seconds_per_minibatch", o},
                        {"samples_per_sec", f.minibatch / o},
                        {"speedup_vs_baseline", b / o}};
  if (f.json) {
    std::cout << out.dump() << "\n";
    return;
  }
  std::printf(
      "bench update: PPO minibatch update, %s agent%s, %d samples; median of %d rounds of %d minibatches\n",
      f.obs_mode.c_str(),
      rgb ? (" " + std::to_string(f.resolution) + "x" + std::to_string(f.resolution)).c_str() : "",
      f.minibatch, f.rounds, f.minibatches);
  std::printf(
      "  libtorch %d threads, OpenBLAS %d threads  %8.2f ms/minibatch   (baseline: both libraries' "
      "defaults)\n",
      f.threads, f.threads, b * 1e3);
  std::printf(
      "  libtorch %d threads, OpenBLAS 1 thread   %8.2f ms/minibatch   speedup_vs_baseline %.2f  (goal >= "
      "1)\n",
      f.threads, o * 1e3, b / o);
  std::printf("  %.0f samples/s through the update\n", f.minibatch / o);
}

struct BenchPolicyFlags {
  std::string checkpoint, onnx;
  int batch = 1, calls = 200, rounds = 5;
  bool json = false;
};

// One policy step through libtorch (the baseline: what eval runs for a .pt) vs OpenCV's dnn on the export.
void RunBenchPolicy(const BenchPolicyFlags& f) {
  const PolicyBenchResult r = BenchPolicy(f.checkpoint, f.onnx, f.batch, f.calls, f.rounds);
  const double t = Median(r.torch_s), o = Median(r.onnx_s);
  if (f.json) {
    std::cout << nlohmann::json{{"checkpoint", f.checkpoint},
                                {"algo", r.algo},
                                {"obs_mode", r.obs_mode},
                                {"batch", f.batch},
                                {"calls", f.calls},
                                {"rounds", f.rounds},
                                {"libtorch_ms_per_call", t * 1e3},
                                {"onnx_ms_per_call", o * 1e3},
                                {"speedup_vs_libtorch", t / o},
                                {"max_abs_action_diff", r.max_abs_diff}}
                     .dump()
              << "\n";
    return;
  }
  std::printf("bench policy: %s %s policy, batch %d; median of %d rounds of %d deterministic calls\n",
              r.algo.c_str(), r.obs_mode.c_str(), f.batch, f.rounds, f.calls);
  std::printf("  libtorch (.pt)          %9.3f ms/call   (baseline)\n", t * 1e3);
  // The goal is the robot's loop (one observation per step); at sim-eval batches libtorch may win (state
  // policies at batch 256 run about 2x faster there: bench/README.md).
  std::printf("  OpenCV dnn (.onnx)      %9.3f ms/call   speedup_vs_libtorch %.2f%s\n", o * 1e3, t / o,
              f.batch == 1 ? "  (goal >= 1 at batch 1)" : "");
  std::printf("  largest action difference between the two: %.2g\n", r.max_abs_diff);
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
  env->add_option("--seconds", f.seconds, "seconds per measurement, at least (whole episodes are run)")
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

  static BenchUpdateFlags uf;
  auto* update = bench->add_subcommand(
      "update", "PPO minibatch updates/s as training runs them vs libtorch and OpenBLAS at their defaults");
  update->add_option("--obs-mode", uf.obs_mode, "state (MLP agent) or rgb (NatureCNN agent)")
      ->capture_default_str();
  update->add_option("--resolution", uf.resolution, "image width and height (rgb)")
      ->capture_default_str()
      ->check(CLI::Range(36, 1024));
  update->add_option("--minibatch", uf.minibatch, "samples per minibatch")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  update->add_option("--minibatches", uf.minibatches, "timed minibatches per run (default 64 state, 8 rgb)")
      ->check(CLI::PositiveNumber);
  update->add_option("--threads", uf.threads, "libtorch threads")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  update->add_option("--rounds", uf.rounds, "rounds; medians are reported")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  update->add_flag("--json", uf.json, "print one JSON object on stdout");
  update->callback([] { RunBenchUpdate(uf); });

  static BenchPolicyFlags pf;
  auto* policy = bench->add_subcommand(
      "policy", "Policy steps (obs -> action) through libtorch (.pt) vs OpenCV's dnn on its ONNX export");
  policy->add_option("--checkpoint", pf.checkpoint, "checkpoint (.pt) from sim2real train")->required();
  policy->add_option("--onnx", pf.onnx, "its export (default: exported to a temporary file)");
  policy->add_option("--batch", pf.batch, "observations per call (1: the real robot's loop)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  policy->add_option("--calls", pf.calls, "timed calls per round")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  policy->add_option("--rounds", pf.rounds, "rounds; medians are reported")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  policy->add_flag("--json", pf.json, "print one JSON object on stdout");
  policy->callback([] { RunBenchPolicy(pf); });
}

}  // namespace s2r::app
