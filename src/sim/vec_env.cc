#include "sim/vec_env.h"

#include <cmath>
#include <cstring>
#include <numeric>
#include <stdexcept>
#include <string>

#include "core/error.h"

namespace s2r::sim {

VecEnv::VecEnv(EnvSpec spec, const EnvFactory& factory, const VecEnvConfig& cfg)
    : spec_(std::move(spec)), cfg_(cfg), pool_(cfg.num_threads) {
  if (cfg_.num_envs < 1)
    throw ConfigError("num_envs: expected at least 1, got " + std::to_string(cfg_.num_envs));
  if (cfg_.num_threads < 1)
    throw ConfigError("threads: expected at least 1, got " + std::to_string(cfg_.num_threads));
  const size_t n = static_cast<size_t>(cfg_.num_envs);
  envs_.resize(n);
  // Envs are built in parallel (each compiles nothing, but copies the model and resets).
  pool_.ParallelFor(cfg_.num_envs, [&](int b, int e) {
    for (int i = b; i < e; ++i) envs_[static_cast<size_t>(i)] = factory(cfg_.seed, i);
  });
  const size_t od = static_cast<size_t>(spec_.obs_dim), k = spec_.info_names.size();
  obs_.assign(n * od, 0.f);
  final_obs_.assign(n * od, 0.f);
  reward_.assign(n, 0.f);
  info_.assign(n * k, 0.f);
  final_info_.assign(n * k, 0.f);
  terminated_.assign(n, 0);
  truncated_.assign(n, 0);
  success_.assign(n, 0);
  diverged_.assign(n, 0);
  elapsed_.assign(n, 0);
  diverged_per_env_.assign(n, 0);
  image_stride_ = static_cast<size_t>(spec_.image_height) * static_cast<size_t>(spec_.image_width) * 3;
  image_.assign(n * image_stride_, 0);
  final_image_.assign(n * image_stride_, 0);
  privileged_.assign(n * spec_.privileged_obs_names.size(), 0.f);
  Reset();
}

void VecEnv::Reset() {
  // The first Reset() follows construction, which already drew the load-time randomization.
  const bool reconfigure =
      reset_calls_ > 0 && cfg_.reconfiguration_freq > 0 && reset_calls_ % cfg_.reconfiguration_freq == 0;
  ++reset_calls_;
  const int od = spec_.obs_dim, k = static_cast<int>(spec_.info_names.size());
  pool_.ParallelFor(cfg_.num_envs, [&](int b, int e) {
    for (int i = b; i < e; ++i) {
      Env& env = *envs_[static_cast<size_t>(i)];
      if (reset_calls_ > 1) env.Reset(reconfigure);
      const size_t u = static_cast<size_t>(i);
      Observe(u, &obs_[u * od], &info_[u * k], image_.empty() ? nullptr : &image_[u * image_stride_],
              PrivilegedSlot(u));
      elapsed_[static_cast<size_t>(i)] = 0;
      reward_[static_cast<size_t>(i)] = 0;
      terminated_[static_cast<size_t>(i)] = truncated_[static_cast<size_t>(i)] = 0;
      success_[static_cast<size_t>(i)] = diverged_[static_cast<size_t>(i)] = 0;
    }
  });
}

void VecEnv::Step(const float* actions) {
  const int a = spec_.action_dim;
  for (int i = 0; i < cfg_.num_envs; ++i)
    for (int j = 0; j < a; ++j)
      if (!std::isfinite(actions[i * a + j]))
        throw std::invalid_argument("action of env " + std::to_string(i) + " (component " +
                                    std::to_string(j) + ") is " + std::to_string(actions[i * a + j]) +
                                    "; actions must be finite numbers");
  pool_.ParallelFor(cfg_.num_envs, [&](int b, int e) { StepRange(b, e, actions); });
}

void VecEnv::Observe(size_t i, float* obs, float* info, uint8_t* image, float* privileged) {
  const Env& env = *envs_[i];
  env.WriteObs(obs);
  env.WriteInfo(info);
  if (image) env.RenderObs(image);
  if (privileged) env.WritePrivilegedObs(privileged);
}

void VecEnv::StepRange(int begin, int end, const float* actions) {
  const size_t od = static_cast<size_t>(spec_.obs_dim), k = spec_.info_names.size();
  for (int ii = begin; ii < end; ++ii) {
    const size_t i = static_cast<size_t>(ii);
    Env& env = *envs_[i];
    float* obs = &obs_[i * od];
    float* info = &info_[i * k];
    uint8_t* image = image_.empty() ? nullptr : &image_[i * image_stride_];
    uint8_t* final_image = image_.empty() ? nullptr : &final_image_[i * image_stride_];
    const bool ok = env.Step(actions + i * static_cast<size_t>(spec_.action_dim));
    ++elapsed_[i];
    bool truncated = elapsed_[i] >= spec_.max_episode_steps;
    diverged_[i] = ok ? 0 : 1;
    if (!ok) {
      // The pre-step observation is the last valid one: keep it as the final observation.
      ++diverged_per_env_[i];
      std::memcpy(&final_obs_[i * od], obs, od * sizeof(float));
      std::memcpy(&final_info_[i * k], info, k * sizeof(float));
      if (image) std::memcpy(final_image, image, image_stride_);
      env.Reset(false);
      if (!cfg_.ignore_terminations || truncated) elapsed_[i] = 0;
      reward_[i] = 0;
      terminated_[i] = 0;
      truncated_[i] = 1;
      success_[i] = 0;
      Observe(i, obs, info, image, PrivilegedSlot(i));
      continue;
    }
    const bool terminated = !cfg_.ignore_terminations && env.terminated();
    reward_[i] = env.reward();
    success_[i] = env.success() ? 1 : 0;
    terminated_[i] = terminated ? 1 : 0;
    truncated_[i] = truncated ? 1 : 0;
    if (terminated || truncated) {
      Observe(i, &final_obs_[i * od], &final_info_[i * k], final_image, nullptr);
      env.Reset(false);
      elapsed_[i] = 0;
    }
    Observe(i, obs, info, image, PrivilegedSlot(i));
  }
}

int64_t VecEnv::diverged_count() const {
  return std::accumulate(diverged_per_env_.begin(), diverged_per_env_.end(), int64_t{0});
}

}  // namespace s2r::sim
