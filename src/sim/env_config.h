// The env_config every registered task has: the settings the commands read without knowing the task
// (observation mode, camera size, episode length, the robot model), and the base of each task's own typed
// settings (sim/grasp_cube_config.h, sim/jetbot_config.h) with its own keys and range checks.
// app/config_load.cc is the only place that fills them from JSON; sim/env_ids.h makes a task's defaults by
// env id and sim/env_registry.h builds the task's envs from its own config. MuJoCo-free.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace s2r::sim {

enum class ObsMode { kState, kRgb };  // state: privileged state vector; rgb: image + proprioception

struct EnvConfig {
  virtual ~EnvConfig() = default;

  ObsMode obs_mode = ObsMode::kState;
  int sensor_width = 128;   // px, the policy camera ("sensor_configs": {"width", "height"})
  int sensor_height = 128;  // px
  int max_episode_steps = 64;
  std::string robot_mjcf_path;  // empty: the task's built-in robot model
  // Not an env_config key: set by `train --algo distill`. The env also writes its state-mode observation
  // as its privileged observation, whatever obs_mode is.
  bool privileged_state = false;

  // A copy of the whole config (the task's fields included).
  virtual std::unique_ptr<EnvConfig> Clone() const = 0;
  // Throws ConfigError naming the key (prefixed by `source`, e.g. the file) for values out of range.
  virtual void Validate(const std::string& source) const = 0;
  // The action interface's name (e.g. pd_joint_target_delta_pos) and setting it by name; an unknown name
  // is a ConfigError naming `what` (the flag or key) and the task's modes.
  virtual std::string control_mode_name() const = 0;
  virtual void SetControlMode(std::string_view name, std::string_view what) = 0;
  virtual std::string reward_mode_name() const = 0;

 protected:
  EnvConfig() = default;
  EnvConfig(const EnvConfig&) = default;
  EnvConfig& operator=(const EnvConfig&) = default;
  // Checks the fields above (the keys sensor_configs.width/height, max_episode_steps).
  void ValidateCommon(const std::string& source) const;
};

std::string_view ObsModeName(ObsMode m);
ObsMode ParseObsMode(std::string_view name, std::string_view what);

}  // namespace s2r::sim
