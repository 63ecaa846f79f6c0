// Helpers for the tests that train through the binary (PPO, FPO, real eval): run it, read its last JSON line,
// and check that a run folder holds every artefact a training run must leave behind.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "cli_run.h"
#include "metrics/csv_log.h"

namespace s2r::testing {

// `sim2real <args>` with stderr merged into the output.
inline RunResult Sim2real(const std::string& args) { return RunCli(args, true); }

inline nlohmann::json LastJsonLine(const std::string& out) {
  const size_t at = out.rfind("\n{");
  return nlohmann::json::parse(at == std::string::npos ? out : out.substr(at + 1));
}

// The tags every training run logs; algorithm-specific ones are passed in `extra_tags`.
// rl_losses: the run has a critic and a surrogate objective (PPO, FPO; not distillation).
inline void ExpectRunArtefacts(const std::filesystem::path& run, bool with_video, bool episodes_ended,
                               const std::vector<std::string>& extra_tags = {"losses/entropy"},
                               bool rl_losses = true) {
  namespace fs = std::filesystem;
  EXPECT_TRUE(fs::exists(run / "final_ckpt.pt"));
  EXPECT_TRUE(fs::exists(run / "ckpt_1.pt"));
  EXPECT_TRUE(fs::exists(run / "config.json"));
  EXPECT_TRUE(fs::exists(run / "eval_curves.png"));
  bool events = false;
  for (const auto& e : fs::directory_iterator(run))
    events |= e.path().filename().string().rfind("events.out.tfevents.", 0) == 0;
  EXPECT_TRUE(events);
  std::set<std::string> tags;
  for (const auto& row : metrics::ReadCsvLog((run / "metrics.csv").string())) tags.insert(row.tag);
  if (episodes_ended) {
    EXPECT_TRUE(tags.count("train/return"));
    EXPECT_TRUE(tags.count("train/success_once"));
  }
  std::vector<std::string> want = {"eval/success_once", "eval/success_at_end", "eval/return",
                                   "eval/episode_len",  "eval/reward",         "charts/learning_rate",
                                   "charts/SPS",        "time/rollout_time",   "time/update_time",
                                   "time/eval_time"};
  if (rl_losses)
    want.insert(want.end(), {"losses/value_loss", "losses/policy_loss", "losses/old_approx_kl",
                             "losses/approx_kl", "losses/clipfrac", "losses/explained_variance"});
  want.insert(want.end(), extra_tags.begin(), extra_tags.end());
  for (const auto& tag : want) EXPECT_TRUE(tags.count(tag)) << tag;
  if (with_video) {
    EXPECT_TRUE(fs::exists(run / "videos") && !fs::is_empty(run / "videos"));
  }
}

}  // namespace s2r::testing
