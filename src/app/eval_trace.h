// `eval --trace-csv`: a CSV with a row per env and control step — what the policy saw (the named
// observation), what it did (the action in [-1, 1]) and the reward and success that followed. Columns:
// round,step,env,obs/<name>...,action/<j>...,reward,success.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace s2r::app {

class EvalTrace {
 public:
  EvalTrace(const std::vector<std::string>& obs_names, int action_dim, int num_envs);

  // Opens the rows of one step: obs [N, D] and actions [N, A] as the policy saw and chose them.
  void AddStep(int round, int step, const float* obs, const float* actions);
  // Closes the open rows (if any) with what followed the step: reward [N] float32, success [N] uint8.
  void FinishStep(const float* reward, const uint8_t* success);
  // Writes the finished rows to `path` atomically, creating its folder (IoError naming the path).
  void Write(const std::string& path) const;

 private:
  int obs_dim_, action_dim_, num_envs_;
  std::string text_;                  // header and finished rows
  std::vector<std::string> pending_;  // [N] rows waiting for their reward
};

}  // namespace s2r::app
