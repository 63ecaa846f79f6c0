// The one place where JSON files become typed, validated config structs.
#pragma once

#include <string>

#include "core/joint_map.h"
#include "sim/grasp_cube_config.h"

namespace s2r::app {

// Reads an env_config.json (lerobot-sim2real's keys) over the built-in defaults. Unknown keys, wrong
// types, out-of-range values and missing files are ConfigErrors naming the file, the key and what
// was expected. Relative file paths inside are resolved against the JSON file's folder.
sim::GraspCubeConfig LoadEnvConfig(const std::string& path);
// Same, from JSON text; `source` names it in messages and `base_dir` resolves relative paths.
sim::GraspCubeConfig ParseEnvConfig(const std::string& json_text, const std::string& source,
                                    const std::string& base_dir);

struct RobotConfig {
  std::string robot;  // "so100"
  JointMap joint_map;
};

// Reads configs/robots/<robot>.json.
RobotConfig LoadRobotConfig(const std::string& path);
// configs/robots/so100.json in the source tree (or $SIM2REAL_CONFIGS/robots/so100.json).
std::string DefaultRobotConfigPath(const std::string& robot);

}  // namespace s2r::app
