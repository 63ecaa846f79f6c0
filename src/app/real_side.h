// The real side shared by `eval --real`, `align-camera` and `capture-background`: the robot and camera
// flags, the robot config they name, the camera, the follower's settings and calibration, and waiting for
// Enter.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "app/config_load.h"
#include "camera/camera.h"
#include "hw/calibration.h"
#include "hw/so100_follower.h"

namespace s2r::app {

// The real side of a command.
struct RealSideFlags {
  std::string robot_config;     // default configs/robots/so100.json
  std::string camera;           // default: the robot config's camera spec
  bool no_robot = false;        // no servo bus at all
  std::string robot_port;       // default: the robot config's "port"
  std::string robot_id;         // default: the robot config's "id" (the calibration id)
  std::string calibration_dir;  // default: LeRobot's location
};
struct RealSideFlagOptions {
  bool with_calibration = true;  // --calibration-dir
  bool with_no_robot = true;     // --no-robot
  std::string group = "Real side";
};
// --robot-config, --camera, --robot-port, --robot-id, and as `options` say --calibration-dir, --no-robot.
void AddRealSideFlags(CLI::App* cmd, RealSideFlags* flags, const RealSideFlagOptions& options = {});
// The robot config the flags name (the default one when --robot-config is not given).
RobotConfig LoadRealRobotConfig(const RealSideFlags& flags);

// The camera SPEC in use: --camera, else the robot config's.
std::string RealCameraSpec(const RealSideFlags& flags, const RobotConfig& rc);
// Opens --camera (or the robot config's camera) with the robot config's size, fps and rotation; a video
// file or virtual camera of another size is opened at its own size. `loop`: video files start again at
// the end. Errors name --camera and the spec.
std::unique_ptr<camera::Camera> OpenRealCamera(const RealSideFlags& flags, const RobotConfig& rc, bool loop);

// The follower's settings: the flags' port and id over the robot config's, all six joints in degrees (as
// ManiSkill's real agent reads them) and the config's max_relative_target.
hw::So100FollowerConfig FollowerConfig(const RealSideFlags& flags, const RobotConfig& rc);
// LeRobot's calibration file for `id`, from --calibration-dir or LeRobot's folders (ConfigError listing the
// paths tried).
hw::LoadedCalibration LoadRealCalibration(const RealSideFlags& flags, const std::string& id);

// Shows `prompt` on stderr (if not empty) and waits for a line on stdin. False when stdin is closed or
// stop_requested() turns true meanwhile (polled every 0.1 s; a signal interrupts the wait).
bool WaitEnter(const std::string& prompt, const std::function<bool()>& stop_requested = {});

}  // namespace s2r::app
