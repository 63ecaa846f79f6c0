#include "app/eval_trace.h"

#include <cstdio>
#include <filesystem>

#include "core/atomic_file.h"

namespace s2r::app {

namespace {

void AppendNumber(std::string* out, double v) {
  char num[32];
  std::snprintf(num, sizeof(num), ",%.9g", v);
  *out += num;
}

}  // namespace

EvalTrace::EvalTrace(const std::vector<std::string>& obs_names, int action_dim, int num_envs)
    : obs_dim_(static_cast<int>(obs_names.size())),
      action_dim_(action_dim),
      num_envs_(num_envs),
      pending_(static_cast<size_t>(num_envs)) {
  text_ = "round,step,env";
  for (const auto& name : obs_names) text_ += ",obs/" + name;
  for (int j = 0; j < action_dim; ++j) text_ += ",action/" + std::to_string(j);
  text_ += ",reward,success\n";
}

void EvalTrace::AddStep(int round, int step, const float* obs, const float* actions) {
  for (int e = 0; e < num_envs_; ++e) {
    std::string& row = pending_[static_cast<size_t>(e)];
    row = std::to_string(round) + "," + std::to_string(step) + "," + std::to_string(e);
    for (int k = 0; k < obs_dim_; ++k) AppendNumber(&row, obs[static_cast<size_t>(e) * obs_dim_ + k]);
    for (int j = 0; j < action_dim_; ++j)
      AppendNumber(&row, actions[static_cast<size_t>(e) * action_dim_ + j]);
  }
}

void EvalTrace::FinishStep(const float* reward, const uint8_t* success) {
  for (int e = 0; e < num_envs_; ++e) {
    std::string& row = pending_[static_cast<size_t>(e)];
    if (row.empty()) continue;
    text_ += row;
    AppendNumber(&text_, reward[e]);
    text_ += success[e] ? ",1\n" : ",0\n";
    row.clear();
  }
}

void EvalTrace::Write(const std::string& path) const {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);  // a failure shows in the write
  WriteFileAtomic(path, text_);
}

}  // namespace s2r::app
