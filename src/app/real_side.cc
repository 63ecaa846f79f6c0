#include "app/real_side.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <optional>

#include "camera/open_camera.h"
#include "core/error.h"

namespace s2r::app {

void AddRealSideFlags(CLI::App* cmd, RealSideFlags* f, const RealSideFlagOptions& o) {
  const std::string& g = o.group;
  cmd->add_option("--robot-config", f->robot_config, "robot config (default configs/robots/so100.json)")
      ->group(g);
  cmd->add_option("--camera", f->camera,
                  "camera SPEC: an index, a /dev path, a video file or virtual:PATH (default: the robot "
                  "config's camera)")
      ->group(g);
  if (o.with_no_robot)
    cmd->add_flag("--no-robot", f->no_robot, "do not connect to the arm (camera only)")->group(g);
  cmd->add_option("--robot-port", f->robot_port, "servo bus port (default: the robot config's)")->group(g);
  cmd->add_option("--robot-id", f->robot_id, "LeRobot calibration id (default: the robot config's)")
      ->group(g);
  if (o.with_calibration)
    cmd->add_option("--calibration-dir", f->calibration_dir, "folder of <id>.json (default: LeRobot's)")
        ->group(g);
}

RobotConfig LoadRealRobotConfig(const RealSideFlags& f) {
  return LoadRobotConfig(f.robot_config.empty() ? DefaultRobotConfigPath("so100") : f.robot_config);
}

std::string RealCameraSpec(const RealSideFlags& f, const RobotConfig& rc) {
  return f.camera.empty() ? rc.camera : f.camera;
}

std::unique_ptr<camera::Camera> OpenRealCamera(const RealSideFlags& f, const RobotConfig& rc, bool loop) {
  const std::string spec = RealCameraSpec(f, rc);
  const std::string what = f.camera.empty() ? "the robot config's camera '" + spec + "'" : "--camera " + spec;
  camera::CameraOptions o;
  o.width = rc.camera_width, o.height = rc.camera_height, o.fps = rc.camera_fps;
  o.rotation = rc.camera_rotation;
  o.loop = loop;
  try {
    camera::ParseCameraSpec(spec);
  } catch (const ConfigError& e) {
    throw ConfigError(what + ": " + e.what());
  }
  const auto kind = camera::ParseCameraSpec(spec).kind;
  const bool own_size =
      kind == camera::CameraSpec::Kind::kVideoFile || kind == camera::CameraSpec::Kind::kVirtual;
  try {
    try {
      return camera::OpenCamera(spec, o);
    } catch (const ConfigError&) {
      if (!own_size) throw;
      o.width = o.height = 0;  // a video file or a virtual camera has its own size
      return camera::OpenCamera(spec, o);
    }
  } catch (const ConfigError& e) {
    throw ConfigError(what + ": " + e.what());
  } catch (const IoError& e) {
    throw IoError(what + ": " + e.what());
  }
}

hw::So100FollowerConfig FollowerConfig(const RealSideFlags& f, const RobotConfig& rc) {
  hw::So100FollowerConfig c;
  c.port = f.robot_port.empty() ? rc.port : f.robot_port;
  c.id = f.robot_id.empty() ? rc.id : f.robot_id;
  c.gripper_norm_mode = hw::MotorNormMode::kDegrees;
  c.max_relative_target = rc.max_relative_target_deg > 0
                              ? std::optional(hw::So100FollowerConfig::UniformCap(rc.max_relative_target_deg))
                              : std::nullopt;
  return c;
}

hw::LoadedCalibration LoadRealCalibration(const RealSideFlags& f, const std::string& id) {
  const std::optional<std::filesystem::path> dir =
      f.calibration_dir.empty() ? std::nullopt : std::optional<std::filesystem::path>(f.calibration_dir);
  return hw::LoadFollowerCalibration(id, dir);
}

bool WaitEnter(const std::string& prompt, const std::function<bool()>& stop_requested) {
  if (!prompt.empty()) std::fprintf(stderr, "%s\n", prompt.c_str());
  auto stopped = [&] { return stop_requested && stop_requested(); };
  for (;;) {
    if (stopped()) return false;
    pollfd p{STDIN_FILENO, POLLIN, 0};
    const int r = poll(&p, 1, 100);
    if (r <= 0) continue;  // timeout, or EINTR from a signal: check the stop flag again
    char c;
    for (;;) {
      const ssize_t n = read(STDIN_FILENO, &c, 1);
      if (n < 0 && errno == EINTR) {
        if (stopped()) return false;
        continue;
      }
      if (n <= 0) return false;  // stdin closed: nobody can confirm
      if (c == '\n') return true;
    }
  }
}

}  // namespace s2r::app
