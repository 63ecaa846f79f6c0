// `sim2real export-onnx --checkpoint X [--out Y]`: a PPO or FPO checkpoint's policy as an ONNX model
// (rl/onnx_export.h says what the graph computes), which `eval` and `eval --real` run without libtorch.
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "app/commands.h"
#include "app/policy_loader.h"
#include "core/error.h"
#include "rl/onnx_export.h"
#include "rl/policy.h"

namespace s2r::app {

void AddExportOnnxCommand(CLI::App& app) {
  static std::string checkpoint, out;
  static bool json = false, deterministic = false;
  auto* cmd = app.add_subcommand(
      "export-onnx",
      "Export a checkpoint's policy (PPO or FPO) as an ONNX model: inputs obs, noise (zeros: "
      "the deterministic action; none with --deterministic), image (rgb); output action in [-1, 1]");
  cmd->add_option("--checkpoint", checkpoint, "checkpoint (.pt) from sim2real train")->required();
  cmd->add_option("--out", out, "ONNX file to write (default: the checkpoint's path with .onnx)");
  cmd->add_flag(
      "--deterministic", deterministic,
      "no noise input: the graph computes the deterministic action only (PPO's mean, FPO's flow from "
      "zero), one input fewer for robots that never sample");
  cmd->add_flag("--json", json, "print one JSON object on stdout");
  cmd->callback([] {
    if (std::filesystem::path(checkpoint).extension() == ".onnx") {
      RequirePolicyFile(checkpoint);  // missing, a folder, or a .pt renamed .onnx: said first
      throw ConfigError("--checkpoint " + checkpoint +
                        ": already an ONNX model; pass the .pt checkpoint it came from");
    }
    ReadCheckpointMetaOf(checkpoint);  // the path checks, then the metadata
    const std::string path =
        out.empty() ? std::filesystem::path(checkpoint).replace_extension(".onnx").string() : out;
    if (std::filesystem::path(path).extension() != ".onnx")
      throw ConfigError("--out " + path +
                        ": expected a .onnx file name (eval recognises ONNX policies by it)");
    const rl::OnnxExportInfo info = rl::ExportPolicyOnnx(checkpoint, path, deterministic);
    if (json) {
      std::cout << nlohmann::json{{"path", info.path},
                                  {"checkpoint", checkpoint},
                                  {"algo", info.algo},
                                  {"obs_mode", info.obs_mode},
                                  {"inputs", info.inputs},
                                  {"outputs", {"action"}},
                                  {"opset", info.opset},
                                  {"nodes", info.num_nodes},
                                  {"weights", info.num_weights},
                                  {"bytes", info.bytes},
                                  {"fpo_num_steps", info.fpo_num_steps},
                                  {"deterministic", info.deterministic}}
                       .dump()
                << "\n";
      return;
    }
    std::string inputs;
    for (const auto& i : info.inputs) inputs += (inputs.empty() ? "" : ", ") + i;
    std::printf("export-onnx: %s policy (%s obs) -> %s: %lld nodes, %lld weights, %lld bytes, opset %d\n",
                info.algo.c_str(), info.obs_mode.c_str(), info.path.c_str(),
                static_cast<long long>(info.num_nodes), static_cast<long long>(info.num_weights),
                static_cast<long long>(info.bytes), info.opset);
    std::printf("  inputs: %s; output: action. Run it: sim2real eval --checkpoint %s\n", inputs.c_str(),
                info.path.c_str());
  });
}

}  // namespace s2r::app
