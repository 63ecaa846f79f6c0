// Measurements behind `sim2real bench env`: the engine's env steps/s next to a plain MuJoCo loop.
#pragma once

#include <cstdint>
#include <string>

#include "sim/env_config.h"

namespace s2r::sim {

struct EnvBenchResult {
  double steps_per_sec = 0;  // env (control) steps per second, all envs together
  int64_t steps = 0;
  double seconds = 0;
};

// Both run whole episodes (max_episode_steps env steps) until `seconds` have passed: a step's cost changes
// within an episode (at 256 envs the first 8 steps ran 8-10 % faster than a whole episode's average), so
// runs that stop after different numbers of steps must still cover the same phases to compare.

// The engine: VecEnv of env `env_id` with `threads` workers, uniform random actions in [-1, 1], cfg's
// observation mode (rgb mode renders every env's camera after every step).
EnvBenchResult BenchEngine(const std::string& env_id, const EnvConfig& cfg, int num_envs, int threads,
                           double seconds, uint64_t seed);

// The baseline: the env's compiled model, N mjData copied from its reset state, a plain single-threaded loop
// of the env's physics steps per control step (1 / (control_freq * timestep)) with every actuator's control
// walking randomly by up to 1/40 of its range per control step (the SO-100's arm: 0.05 rad of its ~4 rad),
// reset every episode; no engine, no task logic.
EnvBenchResult BenchRawMujoco(const std::string& env_id, const EnvConfig& cfg, int num_envs, double seconds,
                              uint64_t seed);

// Memory one env of the batch allocates, bytes: its model copy, mjData arena and stack, and its
// slots in the engine's batch buffers.
double MemoryPerEnvBytes(const std::string& env_id, const EnvConfig& cfg);

}  // namespace s2r::sim
