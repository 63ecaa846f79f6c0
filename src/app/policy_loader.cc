#include "app/policy_loader.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <vector>

#include "core/error.h"
#include "deploy/onnx_policy.h"

namespace fs = std::filesystem;

namespace s2r::app {

namespace {
// libtorch checkpoints are zip archives: they start with the local file header "PK\3\4".
bool LooksLikeZip(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char head[4] = {};
  in.read(head, 4);
  return in.gcount() == 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4;
}
}  // namespace

void RequirePolicyFile(const std::string& path, const std::string& flag) {
  const std::string what = flag + " " + path;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    std::vector<std::string> found;
    for (const auto& e : fs::directory_iterator(path, ec))
      if (e.path().extension() == ".pt" || e.path().extension() == ".onnx")
        found.push_back(e.path().filename());
    std::sort(found.begin(), found.end());
    std::string list;
    for (const auto& f : found) list += (list.empty() ? "" : ", ") + f;
    throw ConfigError(what + ": is a folder; pass a checkpoint file in it" +
                      (found.empty() ? std::string(" (it holds no .pt or .onnx file)") : " (" + list + ")"));
  }
  if (!fs::exists(path, ec))
    throw ConfigError(what + ": no such file (expected a .pt checkpoint or an .onnx export)");
  if (fs::path(path).extension() == ".onnx" && LooksLikeZip(path))
    throw ConfigError(what +
                      ": is a libtorch checkpoint (.pt) renamed .onnx, not an ONNX model; export one with "
                      "`sim2real export-onnx --checkpoint X.pt`");
}

#ifdef S2R_DEPLOY_ONLY
namespace {
[[noreturn]] void RefuseTorchCheckpoint(const std::string& path, const std::string& flag) {
  throw ConfigError(flag + " " + path +
                    ": a libtorch checkpoint, and this is the deploy-only build (no libtorch); export it on "
                    "the training machine with `sim2real export-onnx --checkpoint " +
                    path + " --out policy.onnx` and pass the .onnx");
}
}  // namespace

std::unique_ptr<rl::Policy> LoadAnyPolicy(const std::string& path, uint64_t seed, const std::string& flag) {
  RequirePolicyFile(path, flag);
  if (fs::path(path).extension() != ".onnx") RefuseTorchCheckpoint(path, flag);
  try {
    return deploy::LoadOnnxPolicy(path, seed);
  } catch (const IoError& e) {
    throw ConfigError(flag + ": " + e.what());
  }
}
#else
rl::CheckpointMeta ReadCheckpointMetaOf(const std::string& path, const std::string& flag) {
  RequirePolicyFile(path, flag);
  try {
    return rl::ReadCheckpointMeta(path);
  } catch (const IoError& e) {
    throw ConfigError(flag + ": " + e.what() + "; expected a .pt checkpoint of sim2real train");
  }
}

std::unique_ptr<rl::Policy> LoadAnyPolicy(const std::string& path, uint64_t seed, const std::string& flag) {
  RequirePolicyFile(path, flag);
  try {
    if (fs::path(path).extension() == ".onnx") return deploy::LoadOnnxPolicy(path, seed);
    return rl::LoadPolicy(path);
  } catch (const IoError& e) {  // an unreadable or foreign file is bad input: exit 2, naming the flag
    throw ConfigError(flag + ": " + e.what());
  }
}
#endif

void RequireCompatible(const rl::CheckpointMeta& meta, const std::string& env_id, const std::string& obs_mode,
                       const std::string& what, const std::string& algo) {
  if (meta.env_id != env_id)
    throw ConfigError(what + ": trained on " + meta.env_id + ", not " + env_id + "; pass --env-id " +
                      meta.env_id);
  if (!obs_mode.empty() && meta.obs_mode != obs_mode)
    throw ConfigError(what + ": trained with obs mode " + meta.obs_mode + ", not " + obs_mode +
                      "; pass --obs-mode " + meta.obs_mode);
  if (!algo.empty() && meta.algo != algo)
    throw ConfigError(what + ": a " + meta.algo + " checkpoint, not " + algo);
}

void RequireCanSample(const rl::CheckpointMeta& meta, bool sample, const std::string& what,
                      const std::string& flag) {
  if (sample && meta.deterministic_only)
    throw ConfigError(
        flag + ": " + what +
        " was exported with --deterministic (no noise input), so it cannot sample actions; drop " + flag +
        " or export it again without --deterministic");
}

}  // namespace s2r::app
