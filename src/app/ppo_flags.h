// The --ppo.* flags of lerobot-sim2real's train/eval scripts (tyro spellings: --ppo.num_envs,
// --ppo.num-envs, --ppo.no-partial-reset, "None" for optional values), bound to rl::PpoConfig.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "rl/ppo.h"

namespace s2r::app {

// What the flags leave for FinishPpoFlags and the commands: optional values as text ("None" or a number),
// and whether --ppo.cuda was given (the default alone is not a request worth a warning).
struct PpoFlagStrings {
  std::string reconfiguration_freq = "None";
  std::string eval_reconfiguration_freq = "1";
  std::string target_kl = "0.2";
  std::string save_train_video_freq = "None";
  std::string fpo_logratio_clip = "3.0";
  bool cuda_given = false;  // --ppo.cuda or --ppo.no-cuda was on the command line
};

void AddPpoFlags(CLI::App* cmd, rl::PpoConfig* cfg, PpoFlagStrings* text);
// Parses the optional values and derives the batch sizes; throws ConfigError naming the flag.
void FinishPpoFlags(rl::PpoConfig* cfg, const PpoFlagStrings& text);

nlohmann::json PpoConfigToJson(const rl::PpoConfig& cfg);

}  // namespace s2r::app
