// Shared parts of the camera tools `sim2real align-camera` and `sim2real capture-background`: the robot and
// camera flags, opening the camera the robot config names, and align-camera's key bindings.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <vector>

#include "app/config_load.h"
#include "camera/camera.h"
#include "sim/grasp_cube_config.h"

namespace s2r::app {

// The real side of a camera tool.
struct RealSideFlags {
  std::string robot_config;     // default configs/robots/so100.json
  std::string camera;           // default: the robot config's camera spec
  bool no_robot = false;        // no servo bus at all
  std::string robot_port;       // default: the robot config's "port"
  std::string robot_id;         // default: the robot config's "id" (the calibration id)
  std::string calibration_dir;  // default: LeRobot's location
};
// --robot-config, --camera, --no-robot, --robot-port, --robot-id (with_calibration: --calibration-dir).
void AddRealSideFlags(CLI::App* cmd, RealSideFlags* flags, bool with_calibration);
// The robot config the flags name (the default one when --robot-config is not given).
RobotConfig LoadToolRobotConfig(const RealSideFlags& flags);

// Opens --camera (or the robot config's camera) with the robot config's size, fps and rotation; a video
// file or virtual camera of another size is opened at its own size. `loop`: video files start again at
// the end. Errors name --camera and the spec.
std::unique_ptr<camera::Camera> OpenToolCamera(const RealSideFlags& flags, const RobotConfig& rc, bool loop);

// ---------------------------------------------------------------------------------------------
// align-camera's keys (see cmd_align_camera.cc for the bindings)

enum class AlignKey {
  kChar,  // a printable character (`ch`)
  kUp,    // arrow keys
  kDown,
  kLeft,
  kRight,
  kEnter,      // write the config and quit
  kBackspace,  // reset to the file's values
  kEscape,     // quit without writing
};
struct AlignKeyPress {
  AlignKey key = AlignKey::kChar;
  char ch = 0;
};

// Parses --keys: characters stand for themselves; <up> <down> <left> <right> <enter> (or <return>)
// <backspace> <esc> <space> and <lt> (a literal '<') name the others. Throws ConfigError naming --keys for
// an unknown <name> or an unclosed '<'.
std::vector<AlignKeyPress> ParseKeySequence(const std::string& seq);
// The key an OpenCV waitKeyEx() code stands for (Qt and GTK backends: ASCII for printable keys,
// Backspace, Enter and Esc; X11 keysyms or Qt key codes for the arrows). False for other keys.
bool KeyFromOpenCvCode(int code, AlignKeyPress* out);
// "w", "<up>", ... for messages.
std::string KeyName(const AlignKeyPress& k);

// What a key press does to the camera settings.
enum class AlignAction { kChanged, kReset, kWrite, kQuit, kUnbound };
struct AlignSteps {
  double pos = 0.01;  // m per press (pos and target); Shift (capital letters) moves a tenth of it
  double fov = 0.01;  // rad per press
};
// Applies one key to `s` (Backspace copies `initial`). The camera stays valid: fov in [0.01, 3.09] rad,
// and a step that would put pos onto target is refused (no change). Values are rounded to 1e-6.
AlignAction ApplyAlignKey(const AlignKeyPress& key, const AlignSteps& steps,
                          const sim::CameraSettings& initial, sim::CameraSettings* s);
// One line: "pos [x, y, z] target [x, y, z] fov F rad (D deg)".
std::string DescribeCamera(const sim::CameraSettings& s);

}  // namespace s2r::app
