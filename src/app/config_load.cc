#include "app/config_load.h"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <vector>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/so100_layout.h"
#include "sim/env_ids.h"
#include "sim/jetbot_config.h"

#ifndef S2R_SOURCE_CONFIG_DIR
#define S2R_SOURCE_CONFIG_DIR "configs"
#endif

namespace fs = std::filesystem;
using nlohmann::json;

namespace s2r::app {

namespace {

// Reads values from one JSON object, naming `source` and the dotted key path in every error.
class Reader {
 public:
  Reader(const json& obj, std::string source, std::string prefix)
      : obj_(obj), source_(std::move(source)), prefix_(std::move(prefix)) {}

  [[noreturn]] void Fail(const std::string& key, const std::string& expected) const {
    throw ConfigError(source_ + ": key '" + prefix_ + key + "': expected " + expected);
  }

  void RejectUnknown(const std::set<std::string>& known) const {
    for (auto it = obj_.begin(); it != obj_.end(); ++it) {
      if (known.count(it.key())) continue;
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      throw ConfigError(source_ + ": unknown key '" + prefix_ + it.key() + "'; known keys here: " + list);
    }
  }

  bool Has(const std::string& key) const { return obj_.contains(key); }
  bool IsNull(const std::string& key) const { return obj_.at(key).is_null(); }
  const json& At(const std::string& key) const { return obj_.at(key); }

  void Number(const std::string& key, double* out) const {
    if (!Has(key)) return;
    const json& v = obj_.at(key);
    if (!v.is_number() || !std::isfinite(v.get<double>())) Fail(key, "a number");
    *out = v.get<double>();
  }
  void Bool(const std::string& key, bool* out) const {
    if (!Has(key)) return;
    if (!obj_.at(key).is_boolean()) Fail(key, "true or false");
    *out = obj_.at(key).get<bool>();
  }
  template <size_t N>
  void Array(const std::string& key, std::array<double, N>* out, const std::string& unit) const {
    if (!Has(key)) return;
    const json& v = obj_.at(key);
    const std::string expected = "a list of " + std::to_string(N) + " numbers" + unit;
    if (!v.is_array() || v.size() != N) Fail(key, expected);
    for (size_t i = 0; i < N; ++i) {
      if (!v[i].is_number()) Fail(key, expected);
      (*out)[i] = v[i].get<double>();
    }
  }
  // A string or null; an empty result means null.
  void OptString(const std::string& key, std::string* out) const {
    if (!Has(key)) return;
    const json& v = obj_.at(key);
    if (v.is_null()) {
      out->clear();
      return;
    }
    if (!v.is_string()) Fail(key, "a string or null");
    *out = v.get<std::string>();
  }
  Reader Child(const std::string& key) const {
    const json& v = obj_.at(key);
    if (!v.is_object()) Fail(key, "an object");
    return Reader(v, source_, prefix_ + key + ".");
  }

 private:
  const json& obj_;
  std::string source_;
  std::string prefix_;
};

std::string ReadText(const std::string& path, const std::string& what) {
  if (!fs::exists(path)) throw ConfigError(what + ": file '" + path + "' does not exist");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(what + ": cannot read file '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

json ParseJson(const std::string& text, const std::string& source) {
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    throw ConfigError(source + ": not valid JSON: " + e.what());
  }
}

// A relative path is looked up next to the JSON file first (where lerobot-sim2real users keep
// greenscreen.png), then in the working directory.
std::string ResolveFile(const std::string& key, const std::string& value, const std::string& base_dir,
                        const std::string& source) {
  const fs::path p(value);
  std::vector<fs::path> tried;
  if (p.is_relative() && !base_dir.empty()) tried.push_back(fs::path(base_dir) / p);
  tried.push_back(p);
  for (const auto& t : tried)
    if (fs::is_regular_file(t)) return t.string();
  std::string where;
  for (const auto& t : tried) where += (where.empty() ? "" : ", ") + t.string();
  throw ConfigError(source + ": key '" + key + "': file '" + value + "' does not exist (looked at " + where +
                    ")");
}

// JSON as people write env_config.json: 2-space indent, "key": value, and arrays of plain values on one
// line ("pos": [0.69, 0.37, 0.28]).
void DumpReadable(const nlohmann::ordered_json& v, int indent, std::string* out) {
  const bool object = v.is_object();
  if (!object && !v.is_array()) {
    *out += v.dump();
    return;
  }
  if (v.empty()) {
    *out += object ? "{}" : "[]";
    return;
  }
  bool flat = !object;
  for (const auto& e : v) flat = flat && !e.is_object() && !e.is_array();
  if (flat) {
    *out += "[";
    for (size_t i = 0; i < v.size(); ++i) *out += (i ? ", " : "") + v[i].dump();
    *out += "]";
    return;
  }
  *out += object ? "{\n" : "[\n";
  size_t i = 0;
  for (auto it = v.begin(); it != v.end(); ++it, ++i) {
    out->append(indent + 2, ' ');
    if (object) *out += nlohmann::ordered_json(it.key()).dump() + ": ";
    DumpReadable(it.value(), indent + 2, out);
    *out += i + 1 < v.size() ? ",\n" : "\n";
  }
  out->append(indent, ' ');
  *out += object ? "}" : "]";
}

}  // namespace

std::string UpdateEnvConfigCamera(const std::string& path, const sim::CameraSettings& camera) {
  const std::string original = ReadText(path, "--env-kwargs-json-path");
  nlohmann::ordered_json root;
  try {
    root = nlohmann::ordered_json::parse(original);
  } catch (const nlohmann::ordered_json::parse_error& e) {
    throw ConfigError(path + ": not valid JSON: " + e.what());
  }
  if (!root.is_object())
    throw ConfigError(path + ": expected a JSON object of env settings at the top level");
  if (!root.contains("base_camera_settings") || !root["base_camera_settings"].is_object())
    root["base_camera_settings"] = nlohmann::ordered_json::object();
  auto& c = root["base_camera_settings"];
  c["pos"] = camera.pos;
  c["target"] = camera.target;
  c["fov"] = camera.fov;
  std::string text;
  DumpReadable(root, 0, &text);
  text += "\n";
  // The result must still be a valid env config (this also checks the camera values).
  ParseGraspCubeConfig(text, path, fs::path(path).parent_path().string());
  const std::string backup = path + ".bak";
  WriteFileAtomic(backup, original);
  WriteFileAtomic(path, text);
  return backup;
}

namespace {

// The keys every task's env_config has (sim::EnvConfig's fields).
const std::set<std::string> kCommonKeys = {"robot_mjcf_path", "sensor_configs"};

std::set<std::string> With(std::set<std::string> keys, const std::set<std::string>& more) {
  keys.insert(more.begin(), more.end());
  return keys;
}

void ParseCommonKeys(const Reader& r, const std::string& source, const std::string& base_dir,
                     sim::EnvConfig* cfg) {
  if (r.Has("sensor_configs")) {
    Reader c = r.Child("sensor_configs");
    c.RejectUnknown({"width", "height"});
    for (const char* key : {"width", "height"}) {
      if (!c.Has(key)) continue;
      const json& v = c.At(key);
      if (!v.is_number_integer()) c.Fail(key, "a whole number of pixels");
      (std::string(key) == "width" ? cfg->sensor_width : cfg->sensor_height) = v.get<int>();
    }
  }
  r.OptString("robot_mjcf_path", &cfg->robot_mjcf_path);
  if (!cfg->robot_mjcf_path.empty())
    cfg->robot_mjcf_path = ResolveFile("robot_mjcf_path", cfg->robot_mjcf_path, base_dir, source);
}

// SO100GraspCube-v1's keys (lerobot-sim2real's env_config.json).
void ParseGraspCubeKeys(const Reader& r, const std::string& source, const std::string& base_dir,
                        sim::GraspCubeConfig& cfg) {
  r.RejectUnknown(
      With(kCommonKeys, {"base_camera_settings", "greenscreen_overlay_path", "spawn_box_pos",
                         "spawn_box_half_size", "domain_randomization", "domain_randomization_config",
                         "robot_uids", "control_mode", "reward_mode", "rgb_overlay_mode"}));
  ParseCommonKeys(r, source, base_dir, &cfg);
  if (r.Has("base_camera_settings")) {
    Reader c = r.Child("base_camera_settings");
    c.RejectUnknown({"pos", "target", "fov"});
    c.Array("pos", &cfg.base_camera_settings.pos, " (camera eye, m)");
    c.Array("target", &cfg.base_camera_settings.target, " (look-at point, m)");
    c.Number("fov", &cfg.base_camera_settings.fov);
  }
  r.OptString("greenscreen_overlay_path", &cfg.greenscreen_overlay_path);
  if (!cfg.greenscreen_overlay_path.empty())
    cfg.greenscreen_overlay_path =
        ResolveFile("greenscreen_overlay_path", cfg.greenscreen_overlay_path, base_dir, source);
  if (r.Has("rgb_overlay_mode")) {
    if (!r.At("rgb_overlay_mode").is_string())
      r.Fail("rgb_overlay_mode", "\"background\", \"debug\" or \"none\"");
    cfg.rgb_overlay_mode = render::ParseOverlayMode(r.At("rgb_overlay_mode").get<std::string>(),
                                                    source + ": key 'rgb_overlay_mode'");
  }
  r.Array("spawn_box_pos", &cfg.spawn_box_pos, " (m)");
  r.Number("spawn_box_half_size", &cfg.spawn_box_half_size);
  r.Bool("domain_randomization", &cfg.domain_randomization);
  if (r.Has("robot_uids")) {
    if (!r.At("robot_uids").is_string() || r.At("robot_uids").get<std::string>() != "so100")
      r.Fail("robot_uids", "\"so100\" (the only robot of SO100GraspCube-v1)");
  }
  if (r.Has("control_mode")) {
    if (!r.At("control_mode").is_string()) r.Fail("control_mode", "a string");
    cfg.control_mode =
        ParseControlMode(r.At("control_mode").get<std::string>(), source + ": key 'control_mode'");
  }
  if (r.Has("reward_mode")) {
    if (!r.At("reward_mode").is_string()) r.Fail("reward_mode", "a string");
    cfg.reward_mode =
        sim::ParseRewardMode(r.At("reward_mode").get<std::string>(), source + ": key 'reward_mode'");
  }
  if (r.Has("domain_randomization_config")) {
    Reader d = r.Child("domain_randomization_config");
    auto& dr = cfg.domain_randomization_config;
    d.RejectUnknown({"initial_qpos_noise_scale", "robot_color", "randomize_lighting", "max_camera_offset",
                     "camera_target_noise", "camera_view_rot_noise", "camera_fov_noise",
                     "cube_half_size_range", "cube_friction_mean", "cube_friction_std",
                     "cube_friction_bounds", "randomize_cube_color"});
    d.Number("initial_qpos_noise_scale", &dr.initial_qpos_noise_scale);
    if (d.Has("robot_color")) {
      const json& v = d.At("robot_color");
      if (v.is_null()) {
        dr.robot_color_mode = sim::RobotColorMode::kDefault;
      } else if (v.is_string() && v.get<std::string>() == "random") {
        dr.robot_color_mode = sim::RobotColorMode::kRandom;
      } else if (v.is_array()) {
        d.Array("robot_color", &dr.robot_color, " in [0, 1], null or \"random\"");
        dr.robot_color_mode = sim::RobotColorMode::kFixed;
      } else {
        d.Fail("robot_color", "null, \"random\" or [r, g, b] in [0, 1]");
      }
    }
    d.Bool("randomize_lighting", &dr.randomize_lighting);
    d.Array("max_camera_offset", &dr.max_camera_offset, " (m)");
    d.Number("camera_target_noise", &dr.camera_target_noise);
    d.Number("camera_view_rot_noise", &dr.camera_view_rot_noise);
    d.Number("camera_fov_noise", &dr.camera_fov_noise);
    d.Array("cube_half_size_range", &dr.cube_half_size_range, " (m)");
    d.Number("cube_friction_mean", &dr.cube_friction_mean);
    d.Number("cube_friction_std", &dr.cube_friction_std);
    d.Array("cube_friction_bounds", &dr.cube_friction_bounds, "");
    d.Bool("randomize_cube_color", &dr.randomize_cube_color);
  }
}

// The Jetbot tasks' keys (sim/jetbot_config.h; the task comes from the env id, not a key).
void ParseJetbotKeys(const Reader& r, const std::string& source, const std::string& base_dir,
                     sim::JetbotConfig& cfg) {
  r.RejectUnknown(With(kCommonKeys, {"max_episode_steps", "robot_uids", "control_mode", "motor", "camera",
                                     "arena_half_size", "robot_start", "robot_pose_noise", "block_start",
                                     "goal_distance_range", "goal_bearing_range", "success_distance",
                                     "domain_randomization", "domain_randomization_config"}));
  ParseCommonKeys(r, source, base_dir, &cfg);
  if (r.Has("max_episode_steps")) {
    if (!r.At("max_episode_steps").is_number_integer())
      r.Fail("max_episode_steps", "a whole number of steps");
    cfg.max_episode_steps = r.At("max_episode_steps").get<int>();
  }
  if (r.Has("robot_uids")) {
    if (!r.At("robot_uids").is_string() || r.At("robot_uids").get<std::string>() != "jetbot")
      r.Fail("robot_uids", "\"jetbot\" (the only robot of the Jetbot tasks)");
  }
  if (r.Has("control_mode")) {
    if (!r.At("control_mode").is_string()) r.Fail("control_mode", "a string");
    cfg.SetControlMode(r.At("control_mode").get<std::string>(), source + ": key 'control_mode'");
  }
  if (r.Has("motor")) {
    Reader m = r.Child("motor");
    m.RejectUnknown({"max_wheel_speed", "stall_torque"});
    m.Number("max_wheel_speed", &cfg.motor.max_wheel_speed);
    m.Number("stall_torque", &cfg.motor.stall_torque);
  }
  if (r.Has("camera")) {
    Reader c = r.Child("camera");
    c.RejectUnknown({"pos", "pitch", "fov", "update_period"});
    c.Array("pos", &cfg.camera.pos, " (m, chassis frame)");
    c.Number("pitch", &cfg.camera.pitch);
    c.Number("fov", &cfg.camera.fov);
    c.Number("update_period", &cfg.camera.update_period);
  }
  r.Number("arena_half_size", &cfg.arena_half_size);
  r.Array("robot_start", &cfg.robot_start, " (x m, y m, yaw rad)");
  if (r.Has("robot_pose_noise")) {
    Reader n = r.Child("robot_pose_noise");
    n.RejectUnknown({"xy", "yaw"});
    n.Number("xy", &cfg.robot_pose_noise.xy);
    n.Number("yaw", &cfg.robot_pose_noise.yaw);
  }
  r.Array("block_start", &cfg.block_start, " (m)");
  r.Array("goal_distance_range", &cfg.goal_distance_range, " (m)");
  r.Array("goal_bearing_range", &cfg.goal_bearing_range, " (rad)");
  r.Number("success_distance", &cfg.success_distance);
  r.Bool("domain_randomization", &cfg.domain_randomization);
  if (r.Has("domain_randomization_config")) {
    Reader d = r.Child("domain_randomization_config");
    auto& dr = cfg.domain_randomization_config;
    d.RejectUnknown({"floor_color_jitter", "wall_color_jitter", "block_color_jitter", "ambient_range",
                     "diffuse_range", "camera_pos_noise", "camera_pitch_noise", "camera_fov_noise",
                     "motor_gain_range", "wheel_friction_range"});
    d.Number("floor_color_jitter", &dr.floor_color_jitter);
    d.Number("wall_color_jitter", &dr.wall_color_jitter);
    d.Number("block_color_jitter", &dr.block_color_jitter);
    d.Array("ambient_range", &dr.ambient_range, "");
    d.Array("diffuse_range", &dr.diffuse_range, "");
    d.Array("camera_pos_noise", &dr.camera_pos_noise, " (m)");
    d.Number("camera_pitch_noise", &dr.camera_pitch_noise);
    d.Number("camera_fov_noise", &dr.camera_fov_noise);
    d.Array("motor_gain_range", &dr.motor_gain_range, "");
    d.Array("wheel_friction_range", &dr.wheel_friction_range, "");
  }
}

json ParseRoot(const std::string& json_text, const std::string& source) {
  json root = ParseJson(json_text, source);
  if (!root.is_object())
    throw ConfigError(source + ": expected a JSON object of env settings at the top level");
  return root;
}

}  // namespace

std::unique_ptr<sim::EnvConfig> ParseEnvConfigOf(const std::string& env_id, const std::string& json_text,
                                                 const std::string& source, const std::string& base_dir) {
  std::unique_ptr<sim::EnvConfig> cfg = sim::DefaultEnvConfig(env_id);
  const json root = ParseRoot(json_text, source);
  const Reader r(root, source, "");
  if (auto* grasp = dynamic_cast<sim::GraspCubeConfig*>(cfg.get())) {
    ParseGraspCubeKeys(r, source, base_dir, *grasp);
  } else if (auto* jetbot = dynamic_cast<sim::JetbotConfig*>(cfg.get())) {
    ParseJetbotKeys(r, source, base_dir, *jetbot);
  } else {
    S2R_CHECK(false, "env '" << env_id << "' has a config type config_load.cc cannot parse");
  }
  cfg->Validate(source);
  return cfg;
}

std::unique_ptr<sim::EnvConfig> LoadEnvConfigOf(const std::string& env_id, const std::string& path) {
  const std::string text = ReadText(path, "--env-kwargs-json-path");
  return ParseEnvConfigOf(env_id, text, path, fs::path(path).parent_path().string());
}

sim::GraspCubeConfig ParseGraspCubeConfig(const std::string& json_text, const std::string& source,
                                          const std::string& base_dir) {
  const json root = ParseRoot(json_text, source);
  sim::GraspCubeConfig cfg;
  ParseGraspCubeKeys(Reader(root, source, ""), source, base_dir, cfg);
  cfg.Validate(source);
  return cfg;
}

sim::GraspCubeConfig LoadGraspCubeConfig(const std::string& path) {
  const std::string text = ReadText(path, "--env-kwargs-json-path");
  return ParseGraspCubeConfig(text, path, fs::path(path).parent_path().string());
}

std::string DefaultRobotConfigPath(const std::string& robot) {
  const char* env = std::getenv("SIM2REAL_CONFIGS");
  const std::string dir = env && *env ? env : S2R_SOURCE_CONFIG_DIR;
  return dir + "/robots/" + robot + ".json";
}

RobotConfig LoadRobotConfig(const std::string& path) {
  const json root = ParseJson(ReadText(path, "robot config"), path);
  if (!root.is_object()) throw ConfigError(path + ": expected a JSON object");
  Reader r(root, path, "");
  r.RejectUnknown({"robot", "joint_map", "port", "id", "camera", "max_relative_target"});
  RobotConfig rc;
  if (!r.Has("robot") || !r.At("robot").is_string()) r.Fail("robot", "a robot name such as \"so100\"");
  rc.robot = r.At("robot").get<std::string>();
  if (!r.Has("joint_map") || !r.At("joint_map").is_array()) r.Fail("joint_map", "a list of joints");
  const json& jm = r.At("joint_map");
  for (size_t i = 0; i < jm.size(); ++i) {
    const std::string key = "joint_map[" + std::to_string(i) + "]";
    if (!jm[i].is_object()) r.Fail(key, "an object {name, sign, offset_deg}");
    Reader e(jm[i], path, key + ".");
    e.RejectUnknown({"name", "sign", "offset_deg"});
    JointMapEntry entry;
    if (!e.Has("name") || !e.At("name").is_string()) e.Fail("name", "the joint name");
    entry.name = e.At("name").get<std::string>();
    e.Number("sign", &entry.sign);
    e.Number("offset_deg", &entry.offset_deg);
    rc.joint_map.joints.push_back(entry);
  }
  auto text = [&](const Reader& rd, const std::string& key, std::string* out) {
    if (!rd.Has(key)) return;
    if (!rd.At(key).is_string()) rd.Fail(key, "a string");
    *out = rd.At(key).get<std::string>();
  };
  text(r, "port", &rc.port);
  text(r, "id", &rc.id);
  r.Number("max_relative_target", &rc.max_relative_target_deg);
  if (rc.max_relative_target_deg < 0) r.Fail("max_relative_target", "a cap in degrees >= 0 (0: none)");
  if (r.Has("camera")) {
    if (!r.At("camera").is_object()) r.Fail("camera", "an object {spec, width, height, fps, rotation}");
    Reader c(r.At("camera"), path, "camera.");
    c.RejectUnknown({"spec", "width", "height", "fps", "rotation"});
    text(c, "spec", &rc.camera);
    double w = rc.camera_width, h = rc.camera_height, rot = rc.camera_rotation;
    c.Number("width", &w);
    c.Number("height", &h);
    c.Number("fps", &rc.camera_fps);
    c.Number("rotation", &rot);
    if (w < 1 || h < 1 || w != static_cast<int>(w) || h != static_cast<int>(h))
      c.Fail("width", "positive whole numbers of pixels for width and height");
    rc.camera_width = static_cast<int>(w), rc.camera_height = static_cast<int>(h);
    rc.camera_rotation = static_cast<int>(rot);
  }
  if (rc.robot == "so100") {
    std::vector<std::string> names(so100::kJointNames.begin(), so100::kJointNames.end());
    rc.joint_map.Validate(names, path);
  }
  return rc;
}

}  // namespace s2r::app
