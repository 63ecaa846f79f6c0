// A policy exported by `sim2real export-onnx`, run by OpenCV's dnn module: no libtorch needed on the robot
// computer. Behind rl/policy.h's interface, so `eval` (simulation or --real) runs .onnx files as it runs
// checkpoints. The model's "sim2real.*" metadata (rl/onnx_export.h) says what it is.
#pragma once

#include <memory>
#include <string>

#include "rl/policy.h"

namespace s2r::deploy {

// Throws IoError naming `path` when it is missing, not an ONNX model, or not one sim2real exported.
std::unique_ptr<rl::Policy> LoadOnnxPolicy(const std::string& path, uint64_t seed = 0);

}  // namespace s2r::deploy
