// The one place where JSON files become typed, validated config structs.
#pragma once

#include <memory>
#include <string>

#include "core/joint_map.h"
#include "sim/env_config.h"
#include "sim/grasp_cube_config.h"

namespace s2r::app {

// Reads env `env_id`'s env_config.json over its built-in defaults (sim::DefaultEnvConfig): the task's own
// keys (SO100GraspCube-v1: lerobot-sim2real's) and the common ones (sensor_configs, robot_mjcf_path).
// Unknown keys, wrong types, out-of-range values and missing files are ConfigErrors naming the file, the key
// and what was expected. Relative file paths inside are resolved against the JSON file's folder.
std::unique_ptr<sim::EnvConfig> LoadEnvConfigOf(const std::string& env_id, const std::string& path);
// Same, from JSON text; `source` names it in messages and `base_dir` resolves relative paths.
std::unique_ptr<sim::EnvConfig> ParseEnvConfigOf(const std::string& env_id, const std::string& json_text,
                                                 const std::string& source, const std::string& base_dir);
// The SO-100 tools' (real arm, camera alignment) typed forms for SO100GraspCube-v1's env_config.
sim::GraspCubeConfig LoadGraspCubeConfig(const std::string& path);
sim::GraspCubeConfig ParseGraspCubeConfig(const std::string& json_text, const std::string& source,
                                          const std::string& base_dir);

// Writes `camera` as "base_camera_settings": {pos, target, fov} into the env config at `path` (what
// `sim2real align-camera` saves), keeping every other key of the file and the order of its keys; the file
// is re-indented (2 spaces, arrays of plain values on one line). The previous bytes are kept in `path`.bak
// (replacing an older backup). The new text is checked with ParseGraspCubeConfig before anything is written,
// and both files are written atomically (a temporary file in the same folder, flushed to disk, then renamed).
// Returns the backup's path. Throws ConfigError naming the file if it is missing, not valid JSON, not an env
// config, or the camera values are out of range; IoError naming the file if it cannot be written.
std::string UpdateEnvConfigCamera(const std::string& path, const sim::CameraSettings& camera);

struct RobotConfig {
  std::string robot;  // "so100"
  JointMap joint_map;
  // Defaults for `eval --real` and the camera tools (each has a flag that overrides it).
  std::string port = "/dev/ttyACM0";  // "port": the servo bus
  std::string id = "sim2real_so100";  // "id": the LeRobot calibration id
  std::string camera = "0";           // "camera": {"spec": index, /dev path, video file or virtual:PATH,
  int camera_width = 640;             //            "width", "height" (px), "fps", "rotation" (deg)}
  int camera_height = 480;
  double camera_fps = 30;
  int camera_rotation = 0;
  double max_relative_target_deg = 10;  // "max_relative_target": per-step goal cap, deg (0: none)
};

// Reads configs/robots/<robot>.json.
RobotConfig LoadRobotConfig(const std::string& path);
// configs/robots/so100.json in the source tree (or $SIM2REAL_CONFIGS/robots/so100.json).
std::string DefaultRobotConfigPath(const std::string& robot);

}  // namespace s2r::app
