// `sim2real envs`: the registered environments with their observation and action specs.
#include <iostream>
#include <nlohmann/json.hpp>

#include "app/commands.h"
#include "sim/env_registry.h"

namespace s2r::app {

void AddEnvsCommand(CLI::App& app) {
  auto* cmd =
      app.add_subcommand("envs", "List the registered environments and their observation/action specs");
  static bool as_json = false;
  cmd->add_flag("--json", as_json, "print one JSON object");
  cmd->callback([] {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& info : sim::RegisteredEnvs()) {
      nlohmann::json e;
      e["id"] = info.id;
      e["description"] = info.description;
      e["control_modes"] = info.control_modes;
      e["action_description"] = info.action_description;
      nlohmann::json modes = nlohmann::json::object();
      for (const auto& mode : info.obs_modes) {
        const std::unique_ptr<sim::EnvConfig> cfg = sim::DefaultEnvConfig(info.id);
        cfg->obs_mode = sim::ParseObsMode(mode, "obs mode");
        const sim::EnvSpec spec = sim::MakeEnvSpec(info.id, *cfg);
        nlohmann::json m;
        m["obs_shape"] = {spec.obs_dim};
        m["obs_dtype"] = "float32";
        m["obs_names"] = spec.obs_names;
        if (spec.image_height > 0)
          m["image_shape"] = {spec.image_height, spec.image_width, 3};  // uint8, sensor_configs sets H, W
        modes[mode] = m;
        if (mode == info.obs_modes.front()) {
          e["action_shape"] = {spec.action_dim};
          e["action_low"] = spec.action_low;
          e["action_high"] = spec.action_high;
          e["max_episode_steps"] = spec.max_episode_steps;
          e["control_freq_hz"] = spec.control_freq;
          e["info"] = spec.info_names;
        }
      }
      e["obs_modes"] = modes;
      out.push_back(e);
    }
    if (as_json) {
      std::cout << out.dump(2) << "\n";
      return;
    }
    for (const auto& e : out) {
      std::cout << e["id"].get<std::string>() << "\n  " << e["description"].get<std::string>() << "\n";
      std::cout << "  action: [" << e["action_shape"][0] << "] float32 in [-1, 1] (default control mode "
                << e["control_modes"][0].get<std::string>() << ": "
                << e["action_description"].get<std::string>() << ")\n";
      std::cout << "  control modes: ";
      for (const auto& c : e["control_modes"]) std::cout << c.get<std::string>() << " ";
      std::cout << "\n  episode: " << e["max_episode_steps"] << " steps at " << e["control_freq_hz"]
                << " Hz\n";
      for (auto it = e["obs_modes"].begin(); it != e["obs_modes"].end(); ++it) {
        std::cout << "  obs mode " << it.key() << ": [" << it.value()["obs_shape"][0] << "] float32";
        if (it.value().contains("image_shape"))
          std::cout << " + image [" << it.value()["image_shape"][0] << "," << it.value()["image_shape"][1]
                    << ",3] uint8 (the policy camera)";
        std::cout << "\n    ";
        for (const auto& n : it.value()["obs_names"]) std::cout << n.get<std::string>() << " ";
        std::cout << "\n";
      }
      std::cout << "  info: ";
      for (const auto& n : e["info"]) std::cout << n.get<std::string>() << " ";
      std::cout << "\n";
    }
  });
}

}  // namespace s2r::app
