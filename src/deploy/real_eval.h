// The real-robot evaluation loop with its safety rules (lerobot-sim2real's eval on hardware):
//  - each episode: reset (slow move to the start pose, the scene is reset by the user or the virtual
//    robot), then max_episode_steps control steps; --no-continuous-eval waits for Enter before each step;
//  - Ctrl+C (SIGINT/SIGTERM) or any error: the arm returns to rest by an interpolated move of bounded
//    time and torque is turned off on every servo before the process goes on (RAII: ReturnToRestGuard).
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "deploy/real_env.h"

namespace s2r::deploy {

// SIGINT/SIGTERM set a flag (no SA_RESTART, so a blocking read returns); the loop checks it between steps.
void InstallStopHandler();
bool StopRequested();
void RequestStop();  // as if Ctrl+C was pressed (tests)
void ClearStop();

// On destruction (normal exit, exception or Ctrl+C): move to rest within timeout_s, then torque off.
// Never throws; failures are reported through `warn`.
class ReturnToRestGuard {
 public:
  ReturnToRestGuard(RealGraspCubeEnv& env, hw::So100Follower& robot, double timeout_s,
                    std::function<void(const std::string&)> warn);
  ~ReturnToRestGuard();
  ReturnToRestGuard(const ReturnToRestGuard&) = delete;
  ReturnToRestGuard& operator=(const ReturnToRestGuard&) = delete;

 private:
  RealGraspCubeEnv& env_;
  hw::So100Follower& robot_;
  double timeout_s_;
  std::function<void(const std::string&)> warn_;
};

struct RealEvalOptions {
  int num_episodes = 0;  // 0: until Ctrl+C
  int max_episode_steps = 100;
  bool continuous = true;  // false: wait for Enter before every step
  std::string record_dir;  // MP4 of the camera per episode; empty: none
  double rest_timeout_s = 10;
};

struct RealEvalIo {
  // Shows `prompt` and waits for Enter; returns false if a stop was requested meanwhile.
  std::function<bool(const std::string& prompt)> wait_enter;
  // Gets the cube to the requested place (a person, or the virtual robot's scene socket).
  std::function<void(const SceneRequest&)> reset_scene;
  // Ground truth after a step when someone knows it (the virtual robot); nullopt on a real arm.
  std::function<std::optional<bool>()> success;
  std::function<void(const std::string&)> info;  // progress lines
};

// act: obs [D], image [H, W, 3] or null -> action [6]; on_episode_start: e.g. resets a scripted controller.
using RealActFn = std::function<void(const float* obs, const uint8_t* image, float* action)>;

struct RealEvalResult {
  int episodes = 0;  // completed episodes
  int steps = 0;
  bool success_known = false;  // successes counted only when io.success knows
  int successes = 0;           // episodes that succeeded at some step
  int overruns = 0;            // control steps that overran the period
  bool interrupted = false;    // ended by Ctrl+C
  std::vector<std::string> videos;
};

RealEvalResult RunRealEval(RealGraspCubeEnv& env, const RealActFn& act,
                           const std::function<void()>& on_episode_start, const RealEvalOptions& options,
                           const RealEvalIo& io);

}  // namespace s2r::deploy
