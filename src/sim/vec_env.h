// The batched env engine: N envs stepped by a thread pool into preallocated contiguous buffers.
//
// Data flow: Step([N, A] actions) -> each worker steps its contiguous slice of envs, writing obs,
// reward, done flags and info straight into slot i of the batch buffers -> the caller reads the
// buffers (the learning code wraps them without copying). Buffers stay valid until the next call.
//
// Auto-reset: when an env terminates (success) or truncates (episode length), its last observation
// and info go to final_obs / final_info (for bootstrapping) and obs holds the first observation of
// the next episode. With ignore_terminations (the learners' --no-partial-reset), success does not end
// an episode and every env resets together at truncation.
// Determinism: each env draws from its own random stream derived from (seed, env index), so the
// same seed gives bit-identical trajectories whatever the thread count.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/thread_pool.h"
#include "sim/mj_env.h"

namespace s2r::sim {

struct VecEnvConfig {
  int num_envs = 1;
  int num_threads = 1;  // including the calling thread
  uint64_t seed = 0;
  bool ignore_terminations = false;  // true: "no partial reset"
  int reconfiguration_freq = 0;      // re-draw load-time randomization every k Reset() calls; 0: never
};

class VecEnv {
 public:
  VecEnv(EnvSpec spec, const EnvFactory& factory, const VecEnvConfig& cfg);

  const EnvSpec& spec() const { return spec_; }
  int num_envs() const { return cfg_.num_envs; }
  int num_threads() const { return pool_.num_threads(); }

  // Resets every env (re-drawing load-time randomization when reconfiguration is due) and fills obs.
  void Reset();
  // actions: [N, A] float32. Throws std::invalid_argument naming the env if a value is NaN or inf.
  void Step(const float* actions);

  const float* obs() const { return obs_.data(); }                  // [N, obs_dim]
  const float* final_obs() const { return final_obs_.data(); }      // [N, obs_dim], valid where done
  const float* reward() const { return reward_.data(); }            // [N]
  const uint8_t* terminated() const { return terminated_.data(); }  // [N] 0/1
  const uint8_t* truncated() const { return truncated_.data(); }    // [N] 0/1
  const uint8_t* success() const { return success_.data(); }        // [N] 0/1, this step
  const float* info() const { return info_.data(); }                // [N, K] spec().info_names
  const float* final_info() const { return final_info_.data(); }    // [N, K], valid where done
  const int32_t* elapsed_steps() const { return elapsed_.data(); }  // [N], after this step
  // Image observations when the spec has them (else null): [N, H, W, 3] uint8, rendered in the
  // workers straight into the batch buffer; final_image holds the last image of an episode that ended.
  const uint8_t* image() const { return image_.empty() ? nullptr : image_.data(); }
  const uint8_t* final_image() const { return final_image_.empty() ? nullptr : final_image_.data(); }
  size_t image_size() const { return image_stride_; }  // bytes per env
  // The spec's privileged observation [N, P] (null without one), of the same steps as obs.
  const float* privileged_obs() const { return privileged_.empty() ? nullptr : privileged_.data(); }
  const uint8_t* diverged() const { return diverged_.data(); }  // [N] 0/1, this step
  // Envs reset because their simulation diverged, since construction.
  int64_t diverged_count() const;

  MjEnv& env(int i) { return *envs_[static_cast<size_t>(i)]; }
  const MjEnv& env(int i) const { return *envs_[static_cast<size_t>(i)]; }

 private:
  void StepRange(int begin, int end, const float* actions);
  // Writes env i's observation (and image) into the given slots.
  // privileged: env i's slot of the privileged observation, or null (final observations have none).
  void Observe(size_t i, float* obs, float* info, uint8_t* image, float* privileged);
  float* PrivilegedSlot(size_t i) {
    return privileged_.empty() ? nullptr : &privileged_[i * spec_.privileged_obs_names.size()];
  }

  EnvSpec spec_;
  VecEnvConfig cfg_;
  ThreadPool pool_;
  std::vector<std::unique_ptr<MjEnv>> envs_;
  int64_t reset_calls_ = 0;
  std::vector<float> obs_, final_obs_, reward_, info_, final_info_, privileged_;
  std::vector<uint8_t> terminated_, truncated_, success_, diverged_;
  std::vector<uint8_t> image_, final_image_;
  size_t image_stride_ = 0;
  std::vector<int32_t> elapsed_;
  std::vector<int64_t> diverged_per_env_;
};

}  // namespace s2r::sim
