// Loads a task scene with a robot model spliced in, from the files under assets/ or a user's MJCF.
#pragma once

#include <string>
#include <vector>

#include "sim/mj_handles.h"

namespace s2r::sim {

// Directory holding the built-in assets: $SIM2REAL_ASSETS if set, else the source tree's assets/.
std::string AssetDir();

// Compiles `scene_path` (an MJCF with <include file="ROBOT_MJCF"/>) with the robot model at
// `robot_path` in place of ROBOT_MJCF. The robot file may use meshes relative to its own folder.
// Throws ConfigError naming `robot_key` and the file if a file is missing or MuJoCo rejects it.
MjModelPtr LoadSceneWithRobot(const std::string& scene_path, const std::string& robot_path,
                              const std::string& robot_key);

// Throws ConfigError if any of `names` of object type `type` is missing, naming the file, the
// missing names and `what` they are for.
void RequireNames(const mjModel* m, int type, const std::vector<std::string>& names, const std::string& kind,
                  const std::string& file);

}  // namespace s2r::sim
