#include "sim/env_config.h"

#include "core/error.h"

namespace s2r::sim {

void EnvConfig::ValidateCommon(const std::string& source) const {
  auto require = [&](bool ok, const std::string& key, const std::string& expected) {
    if (!ok) throw ConfigError(source + ": key '" + key + "': expected " + expected);
  };
  require(max_episode_steps >= 1, "max_episode_steps", "a positive number of steps");
  require(sensor_width >= 8 && sensor_width <= 2048, "sensor_configs.width", "pixels in [8, 2048]");
  require(sensor_height >= 8 && sensor_height <= 2048, "sensor_configs.height", "pixels in [8, 2048]");
}

std::string_view ObsModeName(ObsMode m) { return m == ObsMode::kState ? "state" : "rgb"; }

ObsMode ParseObsMode(std::string_view name, std::string_view what) {
  if (name == "state") return ObsMode::kState;
  if (name == "rgb" || name == "rgb+segmentation") return ObsMode::kRgb;
  throw ConfigError(std::string(what) + ": unknown observation mode '" + std::string(name) +
                    "'; expected state or rgb");
}

}  // namespace s2r::sim
