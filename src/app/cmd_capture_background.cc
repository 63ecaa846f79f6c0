// `sim2real capture-background`: lerobot-sim2real's capture_background_image.py. Turns the arm's torque
// off (so it can be moved out of view by hand), grabs one camera frame, centre-crops and resizes it to the
// env config's sensor size (sensor_configs width/height; 128x128 by default) exactly as a policy
// observation, and saves it as the greenscreen photo (PNG, written atomically).
//
// Unlike the reference (which ignores --env-kwargs-json-path and always saves 128x128), the configured
// sensor size is honoured. With the arm, the command waits for Enter after torque off (--no-wait: grab at
// once). USB cameras are read for --warmup-s seconds first so exposure settles; a video file gives its
// first frame, a virtual camera its latest.
#include <poll.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "app/cli_util.h"
#include "app/commands.h"
#include "app/real_side.h"
#include "camera/open_camera.h"
#include "core/error.h"
#include "hw/so100_follower.h"
#include "media/image.h"

namespace s2r::app {

namespace {

struct CaptureFlags {
  EnvFlags env;
  RealSideFlags real;
  std::string out;
  bool no_wait = false;
  double warmup_s = 1.0;
  bool json = false;
};

// Waits for a line on stdin; false if stdin is closed.
void RunCaptureBackground(const CaptureFlags& f) {
  const sim::GraspCubeConfig cfg = BuildGraspCubeConfig(f.env, "capture-background");
  if (f.out.empty()) throw ConfigError("--out: give the PNG to write, e.g. --out greenscreen.png");
  RequirePngPath(f.out, "--out");
  const RobotConfig rc = LoadRealRobotConfig(f.real);
  const std::string spec = RealCameraSpec(f.real, rc);
  const std::string cam_what = f.real.camera.empty() ? "the robot config's camera" : "--camera";
  try {
    camera::ParseCameraSpec(spec);  // a bad spec fails before the arm is touched
  } catch (const ConfigError& e) {
    throw ConfigError(cam_what + ": " + e.what());
  }
  FILE* info = f.json ? stderr : stdout;

  std::unique_ptr<hw::So100Follower> robot;
  if (!f.real.no_robot) {
    const hw::So100FollowerConfig rcfg = FollowerConfig(f.real, rc);
    robot = std::make_unique<hw::So100Follower>(rcfg);  // torque control needs no calibration
    try {
      robot->Connect();
      robot->TorqueOff();
    } catch (const std::exception& e) {
      throw IoError(std::string(e.what()) + " (robot on " + rcfg.port +
                    "; pass --no-robot to capture without the arm)");
    }
    std::fprintf(info, "torque is off on %s: move the arm out of the camera's view (or remove it)\n",
                 rcfg.port.c_str());
    if (!f.no_wait) {
      if (!WaitEnter("press Enter to take the photo"))
        std::fprintf(stderr, "sim2real: stdin closed: taking the photo now\n");
    }
    std::fflush(info);
  }

  std::unique_ptr<camera::Camera> cam = OpenRealCamera(f.real, rc, /*loop=*/false);
  camera::Frame frame = cam->Read();
  const auto kind = camera::ParseCameraSpec(spec).kind;
  if (kind == camera::CameraSpec::Kind::kIndex || kind == camera::CameraSpec::Kind::kDevice) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(f.warmup_s);
    while (std::chrono::steady_clock::now() < until) frame = cam->Read();
  }
  const media::Image photo = camera::PreprocessObservation(frame.image, cfg.sensor_width, cfg.sensor_height);
  const std::filesystem::path parent = std::filesystem::path(f.out).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
  media::WritePng(f.out, photo);  // atomic
  if (robot) robot->Disconnect();

  if (f.json) {
    nlohmann::json out = {{"path", f.out},
                          {"width", photo.width},
                          {"height", photo.height},
                          {"camera", cam->name()},
                          {"frame_width", frame.image.width},
                          {"frame_height", frame.image.height},
                          {"torque_off", robot != nullptr}};
    std::cout << out.dump() << "\n";
  } else {
    std::printf("%s\n", f.out.c_str());
    std::fprintf(
        stderr,
        "sim2real: saved a %dx%d background from a %dx%d frame of %s; set \"greenscreen_overlay_path\" "
        "in the env config to use it\n",
        photo.width, photo.height, frame.image.width, frame.image.height, cam->name().c_str());
  }
}

}  // namespace

void AddCaptureBackgroundCommand(CLI::App& app) {
  static CaptureFlags f;
  auto* cmd = app.add_subcommand("capture-background",
                                 "Take the greenscreen photo: torque off (move the arm out of view), one "
                                 "camera frame, centre-cropped and "
                                 "resized to the env config's sensor size, saved as PNG");
  AddEnvFlags(cmd, &f.env, false);
  AddRealSideFlags(cmd, &f.real, {.with_calibration = false});
  cmd->add_option("--out", f.out, "PNG to write (e.g. greenscreen.png)")->required();
  cmd->add_flag("--no-wait", f.no_wait, "with the arm: take the photo right after torque off (no Enter)");
  cmd->add_option("--warmup-s", f.warmup_s, "USB cameras: seconds of frames to skip so exposure settles")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 60.0));
  cmd->add_flag("--json", f.json, "print one JSON object on stdout");
  cmd->callback([] { RunCaptureBackground(f); });
}

}  // namespace s2r::app
