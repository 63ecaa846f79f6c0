// Saving and loading training checkpoints (torch): model (a PPO Agent or an FPO FlowAgent), optimizer,
// metadata. Written atomically.
#pragma once

#include <torch/torch.h>

#include <string>

#include "rl/agent.h"
#include "rl/policy.h"

namespace s2r::rl {

void SaveCheckpoint(const std::string& path, const CheckpointMeta& meta, torch::nn::Module& model,
                    torch::optim::Optimizer& optimizer);
// Loads weights (and optimizer state if given) into already-built objects; returns the metadata.
CheckpointMeta LoadCheckpoint(const std::string& path, torch::nn::Module& model,
                              torch::optim::Optimizer* optimizer);
AgentSpec SpecFromMeta(const CheckpointMeta& meta);

// The network `meta` describes (Agent or FlowAgent), with the checkpoint's weights, in eval mode.
template <typename AgentHolder>
AgentHolder LoadAgent(const std::string& path, const CheckpointMeta& meta) {
  AgentHolder agent(SpecFromMeta(meta));
  LoadCheckpoint(path, *agent, nullptr);
  agent->eval();
  return agent;
}

}  // namespace s2r::rl
