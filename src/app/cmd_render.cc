// `sim2real render`: saves what the policy camera sees for one reset, with and without the greenscreen.
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <vector>

#include "app/cli_util.h"
#include "app/commands.h"
#include "media/image.h"
#include "sim/env_registry.h"

namespace s2r::app {

namespace {

struct RenderFlags {
  EnvFlags env;
  std::string out = "frame.png";
  uint64_t seed = 0;
  int size = 512;
  bool json = false;
};

// "dir/frame.png" -> "dir/frame_no_greenscreen.png"
std::string Sibling(const std::string& path, const std::string& suffix) {
  std::filesystem::path p(path);
  return (p.parent_path() / (p.stem().string() + suffix + p.extension().string())).string();
}

void RunRender(const RenderFlags& f) {
  RequirePngPath(f.out, "--out");
  const auto cfg = BuildEnvConfig(f.env);
  const auto env = sim::MakeEnv(f.env.env_id, *cfg).factory(f.seed, 0);
  const render::BatchRenderer renderer(env->model(), f.size, f.size);
  const auto greenscreen = env->MakeGreenscreen(f.size, f.size);
  std::vector<uint8_t> rgb(static_cast<size_t>(f.size) * f.size * 3),
      seg(static_cast<size_t>(f.size) * f.size);
  env->RenderCamera(renderer, nullptr, rgb.data(), seg.data());
  const std::string raw_path = Sibling(f.out, "_no_greenscreen");
  media::WritePng(raw_path, rgb.data(), f.size, f.size, 3);
  if (greenscreen) greenscreen->Apply(rgb.data(), seg.data());
  media::WritePng(f.out, rgb.data(), f.size, f.size, 3);
  const auto& cam = env->camera_pose();
  if (f.json) {
    nlohmann::json out = {
        {"env_id", f.env.env_id},
        {"seed", f.seed},
        {"size", f.size},
        {"image", f.out},
        {"image_no_greenscreen", raw_path},
        {"greenscreen", greenscreen ? std::string(render::OverlayModeName(greenscreen->mode())) : "none"},
        {"camera", {{"eye", cam.eye}, {"target", cam.target}, {"roll", cam.roll}, {"fovy", cam.fovy}}}};
    std::cout << out.dump() << "\n";
    return;
  }
  const std::string what = greenscreen
                               ? "greenscreen " + std::string(render::OverlayModeName(greenscreen->mode()))
                               : "no greenscreen photo configured";
  std::printf("wrote %s (%s) and %s (without greenscreen), %dx%d, seed %llu\n", f.out.c_str(), what.c_str(),
              raw_path.c_str(), f.size, f.size, static_cast<unsigned long long>(f.seed));
  std::printf("camera eye (%.3f, %.3f, %.3f) target (%.3f, %.3f, %.3f) roll %.4f rad fovy %.4f rad\n",
              cam.eye[0], cam.eye[1], cam.eye[2], cam.target[0], cam.target[1], cam.target[2], cam.roll,
              cam.fovy);
}

}  // namespace

void AddRenderCommand(CLI::App& app) {
  static RenderFlags f;
  auto* cmd = app.add_subcommand(
      "render", "Save what the policy camera sees for one reset (with and without greenscreen)");
  AddEnvFlags(cmd, &f.env, false);
  cmd->add_option("--out", f.out,
                  "PNG to write; the image without greenscreen goes beside it (*_no_greenscreen.png)")
      ->capture_default_str();
  cmd->add_option("--seed", f.seed, "reset seed")->capture_default_str();
  cmd->add_option("--size", f.size, "image width and height in pixels")
      ->capture_default_str()
      ->check(CLI::Range(8, 2048));
  cmd->add_flag("--json", f.json, "print one JSON object on stdout");
  cmd->callback([] { RunRender(f); });
}

}  // namespace s2r::app
