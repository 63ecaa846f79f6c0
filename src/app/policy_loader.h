// One entry for every command that runs a policy: a .onnx file (from `sim2real export-onnx`, run by
// OpenCV's dnn) or a training checkpoint (.pt, libtorch).
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
// naming `flag` (exit 2).
rl::CheckpointMeta ReadCheckpointMetaOf(const std::string& path, const std::string& flag = "--checkpoint");

}  // namespace s2r::app
