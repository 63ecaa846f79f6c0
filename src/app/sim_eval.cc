#include "app/sim_eval.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "app/cli_util.h"
#include "app/eval_trace.h"
#include "app/policy_loader.h"
#include "app/sim_env_adapter.h"
#include "core/error.h"
#include "core/progress.h"
#include "sim/env_registry.h"

namespace fs = std::filesystem;

namespace s2r::app {

SimEvalResult RunSimEval(const sim::EnvConfig& env_cfg_in, const std::string& env_id,
                         const SimEvalOptions& opt, std::unique_ptr<rl::Policy> policy) {
  const std::unique_ptr<sim::EnvConfig> cfg_copy = env_cfg_in.Clone();
  sim::EnvConfig& env_cfg = *cfg_copy;
  SimEvalResult r;
  if (!policy) policy = LoadAnyPolicy(opt.checkpoint, opt.seed);
  r.meta = policy->meta();
  RequireCompatible(r.meta, env_id, "", "--checkpoint " + opt.checkpoint);
  RequireCanSample(r.meta, !opt.deterministic, "--checkpoint " + opt.checkpoint, "--stochastic");
  env_cfg.obs_mode = sim::ParseObsMode(r.meta.obs_mode, "checkpoint obs mode");
  if (r.meta.image_height > 0) {
    env_cfg.sensor_height = r.meta.image_height;
    env_cfg.sensor_width = r.meta.image_width;
  }
  const int threads = opt.threads > 0 ? opt.threads : DefaultThreads();
  const int n = std::max(1, std::min(opt.num_envs, opt.num_episodes));
  sim::VecEnvConfig v;
  v.num_envs = n;
  v.num_threads = threads;
  v.seed = opt.seed;
  v.ignore_terminations = true;  // full episodes: success_once and success_at_end both mean something
  v.reconfiguration_freq = 1;
  VecEnvAdapter envs(sim::MakeVecEnv(env_id, env_cfg, v), threads);
  const int rounds = (opt.num_episodes + n - 1) / n;
  std::unique_ptr<EvalTrace> trace;
  if (!opt.trace_csv.empty())
    trace = std::make_unique<EvalTrace>(envs.venv().spec().obs_names, envs.action_dim(), n);
  int step = 0, round = 0;
  ProgressBar bar(static_cast<int64_t>(rounds) * envs.max_episode_steps(), "eval", "steps");
  int64_t steps_done = 0;
  auto act = [&](const float* o, const uint8_t* img, float* a) {
    policy->Act(o, img, n, opt.deterministic, a);
    bar.Update(++steps_done, "round " + std::to_string(round + 1) + " of " + std::to_string(rounds));
    if (!trace) return;
    trace->FinishStep(envs.reward(), envs.success());  // the previous step's rows, now that it has run
    trace->AddStep(round, step++, o, a);
  };
  double once = 0, end = 0, ret = 0, len = 0, rew = 0;
  int episodes = 0;
  for (int k = 0; k < rounds; ++k) {
    rl::EvalVideoOptions video;
    if (!opt.record_dir.empty()) {
      fs::create_directories(opt.record_dir);
      video.path = (fs::path(opt.record_dir) / ("eval_" + std::to_string(k) + ".mp4")).string();
      if (k == 0) r.video = video.path;
    }
    round = k, step = 0;
    const rl::EvalStats s = rl::RunEvaluation(envs, envs.max_episode_steps(), act, video);
    if (trace) trace->FinishStep(envs.reward(), envs.success());
    once += s.success_once * s.episodes, end += s.success_at_end * s.episodes,
        ret += s.return_mean * s.episodes;
    len += s.episode_len * s.episodes, rew += s.reward * s.episodes;
    episodes += s.episodes;
  }
  bar.Finish();
  if (trace) trace->Write(opt.trace_csv);
  r.stats.episodes = episodes;
  r.stats.success_once = once / episodes;
  r.stats.success_at_end = end / episodes;
  r.stats.return_mean = ret / episodes;
  r.stats.episode_len = len / episodes;
  r.stats.reward = rew / episodes;
  return r;
}

void PrintSimEval(const SimEvalResult& r, bool json) {
  const auto& s = r.stats;
  if (json) {
    std::cout << nlohmann::json({{"env_id", r.meta.env_id},
                                 {"algo", r.meta.algo},
                                 {"obs_mode", r.meta.obs_mode},
                                 {"checkpoint_global_step", r.meta.global_step},
                                 {"distilled", !r.meta.distilled_from.empty()},
                                 {"teacher", r.meta.distilled_from},
                                 {"episodes", s.episodes},
                                 {"success_once", s.success_once},
                                 {"success_at_end", s.success_at_end},
                                 {"return", s.return_mean},
                                 {"episode_len", s.episode_len},
                                 {"video", r.video}})
                     .dump()
              << "\n";
    return;
  }
  const std::string distilled =
      r.meta.distilled_from.empty() ? "" : ", distilled from " + r.meta.distilled_from;
  std::printf("%s %s policy (%s obs, trained %lld steps%s): %d episodes\n", r.meta.env_id.c_str(),
              r.meta.algo.c_str(), r.meta.obs_mode.c_str(), static_cast<long long>(r.meta.global_step),
              distilled.c_str(), s.episodes);
  std::printf("  success_once %.3f  success_at_end %.3f  return %.2f  episode_len %.1f\n", s.success_once,
              s.success_at_end, s.return_mean, s.episode_len);
  if (!r.video.empty()) std::printf("  video %s\n", r.video.c_str());
}

}  // namespace s2r::app
