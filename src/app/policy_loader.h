// One entry for every command that runs a policy: a .onnx file (from `sim2real export-onnx`, run by
// OpenCV's dnn) or a training checkpoint (.pt, libtorch).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "rl/policy.h"

namespace s2r::app {

std::unique_ptr<rl::Policy> LoadAnyPolicy(const std::string& path, uint64_t seed);

}  // namespace s2r::app
