// One entry for every command that runs a policy: a .onnx file (from `sim2real export-onnx`, run by
// OpenCV's dnn) or a training checkpoint (.pt, libtorch; refused by the deploy-only build, which has no
// libtorch, with a message saying to export it).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "rl/policy.h"

namespace s2r::app {

// Throws ConfigError naming `flag` when `path` is missing, a folder (listing the checkpoints in it), a file
// that is not a sim2real checkpoint or ONNX export, or a .pt checkpoint renamed .onnx.
std::unique_ptr<rl::Policy> LoadAnyPolicy(const std::string& path, uint64_t seed,
                                          const std::string& flag = "--checkpoint");
// The same checks on the path alone, before anything is loaded.
void RequirePolicyFile(const std::string& path, const std::string& flag = "--checkpoint");
// The metadata of the .pt checkpoint `flag` names, with those checks; anything unreadable is a ConfigError
// naming `flag` (exit 2). Full build only (training and export read it).
rl::CheckpointMeta ReadCheckpointMetaOf(const std::string& path, const std::string& flag = "--checkpoint");

// Throws ConfigError naming `what` if the checkpoint was trained for another env, obs mode (unless empty)
// or algo (unless empty).
void RequireCompatible(const rl::CheckpointMeta& meta, const std::string& env_id, const std::string& obs_mode,
                       const std::string& what, const std::string& algo = "");
// A policy exported with `export-onnx --deterministic` has no noise input: sampling (`flag`, e.g.
// --stochastic) is refused with a ConfigError naming both, before anything starts.
void RequireCanSample(const rl::CheckpointMeta& meta, bool sample, const std::string& what,
                      const std::string& flag);

}  // namespace s2r::app
