// Timing of PPO's minibatch update (forward, clipped loss, backward, gradient clipping, Adam) of the real
// agent on random data: the hot path of a learning run's update phase. No torch in this header.
#pragma once

#include <cstdint>

namespace s2r::rl {

struct UpdateBenchSpec {
  int obs_dim = 31;  // state values (31 in state mode, 17 beside an image)
  int action_dim = 6;
  int image_size = 0;    // > 0: the rgb agent (NatureCNN) on image_size x image_size images
  int minibatch = 400;   // samples per minibatch (a 256 x 50 rollout in 32 minibatches)
  int minibatches = 64;  // timed minibatch updates (after one untimed warm-up)
  uint64_t seed = 0;
};

// Seconds per minibatch update, with whatever thread settings are current.
double BenchPpoUpdate(const UpdateBenchSpec& spec);

}  // namespace s2r::rl
