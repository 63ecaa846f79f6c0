#include "app/policy_loader.h"

#include <filesystem>

#include "deploy/onnx_policy.h"

namespace s2r::app {

std::unique_ptr<rl::Policy> LoadAnyPolicy(const std::string& path, uint64_t seed) {
  if (std::filesystem::path(path).extension() == ".onnx") return deploy::LoadOnnxPolicy(path, seed);
  return rl::LoadPolicy(path);
}

}  // namespace s2r::app
