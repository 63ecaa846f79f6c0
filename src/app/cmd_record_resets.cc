// `sim2real record-resets`: a video of the reset distribution (one 512x512 policy-camera frame per
// reset, 15 fps) so users see where cubes spawn and what the camera sees before training.
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <vector>

#include "app/cli_util.h"
#include "app/commands.h"
#include "core/progress.h"
#include "media/video_writer.h"
#include "sim/env_registry.h"

namespace s2r::app {

namespace {

struct RecordResetsFlags {
  EnvFlags env;
  int num_resets = 100;
  std::string record_dir = "videos";
  uint64_t seed = 0;
  int size = 512;
  double fps = 15;
  bool json = false;
};

void RunRecordResets(const RecordResetsFlags& f) {
  const auto cfg = BuildEnvConfig(f.env);
  const auto env = sim::MakeEnv(f.env.env_id, *cfg).factory(f.seed, 0);
  const render::BatchRenderer renderer(env->model(), f.size, f.size);
  const auto greenscreen = env->MakeGreenscreen(f.size, f.size);
  const std::string path =
      (std::filesystem::path(f.record_dir) / (f.env.env_id + "_reset_distribution.mp4")).string();
  media::Mp4Writer video(path, f.size, f.size, f.fps);
  std::vector<uint8_t> rgb(static_cast<size_t>(f.size) * f.size * 3),
      seg(static_cast<size_t>(f.size) * f.size);
  ProgressBar bar(f.num_resets, "record-resets", "resets");
  for (int i = 0; i < f.num_resets; ++i) {
    // Every reset re-draws the load-time randomization too (cube size and colour, lighting, fov).
    if (i > 0) env->Reset(/*reconfigure=*/true);
    env->RenderCamera(renderer, greenscreen.get(), rgb.data(), seg.data());
    video.AddFrame(rgb.data());
    bar.Update(i + 1);
  }
  video.Close();
  bar.Finish();
  if (f.json) {
    std::cout << nlohmann::json({{"video", path}, {"frames", f.num_resets}, {"size", f.size}, {"fps", f.fps}})
                     .dump()
              << "\n";
  } else {
    std::printf("wrote %s: %d resets, %dx%d at %.0f fps\n", path.c_str(), f.num_resets, f.size, f.size,
                f.fps);
  }
}

}  // namespace

void AddRecordResetsCommand(CLI::App& app) {
  static RecordResetsFlags f;
  auto* cmd = app.add_subcommand(
      "record-resets",
      "Write <record-dir>/<env-id>_reset_distribution.mp4: one policy-camera frame per reset");
  AddEnvFlags(cmd, &f.env, false);
  cmd->add_option("--num-resets", f.num_resets, "resets (frames) to record")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--record-dir", f.record_dir, "folder for the video (created if missing)")
      ->capture_default_str();
  cmd->add_option("--seed", f.seed, "random seed")->capture_default_str();
  cmd->add_option("--size", f.size, "frame width and height in pixels (even)")
      ->capture_default_str()
      ->check(CLI::Range(16, 2048));
  cmd->add_option("--fps", f.fps, "frames per second of the video")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--json", f.json, "print one JSON object on stdout");
  cmd->callback([] { RunRecordResets(f); });
}

}  // namespace s2r::app
