// Tests of src/app/config_load: env_config.json and robot config parsing, defaults and error messages.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>
#include <vector>

#include "app/config_load.h"
#include "core/error.h"
#include "core/so100_layout.h"
#include "sim/grasp_cube_config.h"
#include "sim/jetbot_config.h"

namespace s2r::app {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

const std::string kSourceDir = S2R_SOURCE_DIR;

// A unique path under the system temp folder, removed (recursively) on scope exit.
class TempPath {
 public:
  explicit TempPath(const std::string& suffix) {
    static std::atomic<int> counter{0};
    path_ = fs::temp_directory_path() /
            ("s2r_config_test_" + std::to_string(getpid()) + "_" + std::to_string(counter++) + suffix);
  }
  ~TempPath() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempPath(const TempPath&) = delete;
  TempPath& operator=(const TempPath&) = delete;
  const fs::path& path() const { return path_; }
  std::string str() const { return path_.string(); }

 private:
  fs::path path_;
};

void WriteFile(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
  ASSERT_TRUE(out.good()) << "cannot write " << p;
}

sim::GraspCubeConfig Parse(const std::string& json) { return ParseGraspCubeConfig(json, "test.json", ""); }

// Parses `json` and expects a ConfigError whose message holds every one of `parts`.
void ExpectParseError(const std::string& json, std::initializer_list<std::string> parts) {
  try {
    Parse(json);
    ADD_FAILURE() << "expected ConfigError for " << json;
  } catch (const ConfigError& e) {
    for (const auto& p : parts) EXPECT_THAT(std::string(e.what()), HasSubstr(p)) << "json: " << json;
  }
}

// ---------------------------------------------------------------------------------------------
// Env config: valid input

TEST(EnvConfigTest, EmptyObjectGivesDefaults) {
  const sim::GraspCubeConfig cfg = Parse("{}");
  const sim::GraspCubeConfig def;
  EXPECT_EQ(cfg.base_camera_settings.pos, def.base_camera_settings.pos);
  EXPECT_EQ(cfg.base_camera_settings.fov, def.base_camera_settings.fov);
  EXPECT_EQ(cfg.spawn_box_pos, def.spawn_box_pos);
  EXPECT_EQ(cfg.spawn_box_half_size, def.spawn_box_half_size);
  EXPECT_TRUE(cfg.domain_randomization);
  EXPECT_EQ(cfg.control_mode, ControlMode::kJointTargetDeltaPos);
  EXPECT_EQ(cfg.reward_mode, sim::RewardMode::kNormalizedDense);
  EXPECT_EQ(cfg.max_episode_steps, 64);
  EXPECT_TRUE(cfg.greenscreen_overlay_path.empty());
  EXPECT_TRUE(cfg.robot_mjcf_path.empty());
}

TEST(EnvConfigTest, RepoEnvConfigLoads) {
  const sim::GraspCubeConfig cfg = LoadGraspCubeConfig(kSourceDir + "/env_config.json");
  const auto& cam = cfg.base_camera_settings;
  EXPECT_DOUBLE_EQ(cam.pos[0], 0.69);
  EXPECT_DOUBLE_EQ(cam.pos[1], 0.37);
  EXPECT_DOUBLE_EQ(cam.pos[2], 0.28);
  EXPECT_DOUBLE_EQ(cam.fov, 0.8256);
  EXPECT_DOUBLE_EQ(cam.target[0], 0.185);
  EXPECT_DOUBLE_EQ(cam.target[1], -0.15);
  EXPECT_DOUBLE_EQ(cam.target[2], 0.0);
  EXPECT_DOUBLE_EQ(cfg.spawn_box_pos[0], 0.3);
  EXPECT_DOUBLE_EQ(cfg.spawn_box_pos[1], 0.05);
  EXPECT_DOUBLE_EQ(cfg.spawn_box_half_size, 0.1);
  EXPECT_TRUE(cfg.greenscreen_overlay_path.empty());  // null
  EXPECT_EQ(cfg.domain_randomization_config.robot_color_mode, sim::RobotColorMode::kDefault);
}

TEST(EnvConfigTest, EveryKeyComesThrough) {
  const sim::GraspCubeConfig cfg = Parse(R"({
    "base_camera_settings": {"pos": [1, 2, 3], "target": [0, 0, 0.5], "fov": 1.0},
    "spawn_box_pos": [0.25, -0.05], "spawn_box_half_size": 0.0,
    "domain_randomization": false, "robot_uids": "so100",
    "control_mode": "pd_joint_pos", "reward_mode": "sparse",
    "domain_randomization_config": {
      "initial_qpos_noise_scale": 0.01, "robot_color": [0.1, 0.2, 0.3], "randomize_lighting": false,
      "max_camera_offset": [0.01, 0.02, 0.03], "camera_target_noise": 0.002,
      "camera_view_rot_noise": 0.004, "camera_fov_noise": 0.05,
      "cube_half_size_range": [0.012, 0.012], "cube_friction_mean": 0.4, "cube_friction_std": 0.0,
      "cube_friction_bounds": [0.2, 0.6], "randomize_cube_color": false}})");
  EXPECT_EQ(cfg.base_camera_settings.pos, (std::array<double, 3>{1, 2, 3}));
  EXPECT_EQ(cfg.base_camera_settings.target, (std::array<double, 3>{0, 0, 0.5}));
  EXPECT_EQ(cfg.base_camera_settings.fov, 1.0);
  EXPECT_EQ(cfg.spawn_box_pos, (std::array<double, 2>{0.25, -0.05}));
  EXPECT_EQ(cfg.spawn_box_half_size, 0.0);
  EXPECT_FALSE(cfg.domain_randomization);
  EXPECT_EQ(cfg.control_mode, ControlMode::kJointPos);
  EXPECT_EQ(cfg.reward_mode, sim::RewardMode::kSparse);
  const auto& dr = cfg.domain_randomization_config;
  EXPECT_EQ(dr.initial_qpos_noise_scale, 0.01);
  EXPECT_EQ(dr.robot_color_mode, sim::RobotColorMode::kFixed);
  EXPECT_EQ(dr.robot_color, (std::array<double, 3>{0.1, 0.2, 0.3}));
  EXPECT_FALSE(dr.randomize_lighting);
  EXPECT_EQ(dr.max_camera_offset, (std::array<double, 3>{0.01, 0.02, 0.03}));
  EXPECT_EQ(dr.camera_target_noise, 0.002);
  EXPECT_EQ(dr.camera_view_rot_noise, 0.004);
  EXPECT_EQ(dr.camera_fov_noise, 0.05);
  EXPECT_EQ(dr.cube_half_size_range, (std::array<double, 2>{0.012, 0.012}));
  EXPECT_EQ(dr.cube_friction_mean, 0.4);
  EXPECT_EQ(dr.cube_friction_std, 0.0);
  EXPECT_EQ(dr.cube_friction_bounds, (std::array<double, 2>{0.2, 0.6}));
  EXPECT_FALSE(dr.randomize_cube_color);
}

TEST(EnvConfigTest, RobotColorNullRandomAndRgb) {
  EXPECT_EQ(Parse(R"({"domain_randomization_config": {"robot_color": null}})")
                .domain_randomization_config.robot_color_mode,
            sim::RobotColorMode::kDefault);
  EXPECT_EQ(Parse(R"({"domain_randomization_config": {"robot_color": "random"}})")
                .domain_randomization_config.robot_color_mode,
            sim::RobotColorMode::kRandom);
  const auto fixed = Parse(R"({"domain_randomization_config": {"robot_color": [1, 0.5, 0]}})");
  EXPECT_EQ(fixed.domain_randomization_config.robot_color_mode, sim::RobotColorMode::kFixed);
  EXPECT_EQ(fixed.domain_randomization_config.robot_color, (std::array<double, 3>{1, 0.5, 0}));
}

TEST(EnvConfigTest, ControlModesParse) {
  EXPECT_EQ(Parse(R"({"control_mode": "pd_joint_delta_pos"})").control_mode, ControlMode::kJointDeltaPos);
  EXPECT_EQ(Parse(R"({"control_mode": "pd_joint_target_delta_pos"})").control_mode,
            ControlMode::kJointTargetDeltaPos);
}

TEST(EnvConfigTest, RelativeGreenscreenPathResolvesAgainstJsonFolder) {
  TempPath dir("_dir");
  fs::create_directories(dir.path());
  WriteFile(dir.path() / "overlay_for_config_test.png", "not really a png");
  WriteFile(dir.path() / "env.json", R"({"greenscreen_overlay_path": "overlay_for_config_test.png"})");
  const sim::GraspCubeConfig cfg = LoadGraspCubeConfig((dir.path() / "env.json").string());
  EXPECT_EQ(fs::path(cfg.greenscreen_overlay_path), dir.path() / "overlay_for_config_test.png");
  // An absolute path is kept as is.
  const std::string abs = (dir.path() / "overlay_for_config_test.png").string();
  EXPECT_EQ(Parse(R"({"greenscreen_overlay_path": ")" + abs + R"("})").greenscreen_overlay_path, abs);
}

TEST(EnvConfigTest, ExistingRobotMjcfPathIsAccepted) {
  const std::string robot = kSourceDir + "/assets/so100.xml";
  EXPECT_EQ(Parse(R"({"robot_mjcf_path": ")" + robot + R"("})").robot_mjcf_path, robot);
  EXPECT_TRUE(Parse(R"({"robot_mjcf_path": null})").robot_mjcf_path.empty());
}

// ---------------------------------------------------------------------------------------------
// Env config: errors

TEST(EnvConfigErrorTest, UnknownTopLevelKeyNamesKeyAndFile) {
  TempPath file(".json");
  WriteFile(file.path(), R"({"spawn_box_pos": [0.3, 0.05], "spawn_box_halfsize": 0.1})");
  try {
    LoadGraspCubeConfig(file.str());
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    EXPECT_THAT(msg, HasSubstr(file.str()));
    EXPECT_THAT(msg, HasSubstr("'spawn_box_halfsize'"));
    EXPECT_THAT(msg, HasSubstr("spawn_box_half_size"));  // the known keys are listed
  }
  ExpectParseError(R"({"camera": {}})", {"test.json", "unknown key 'camera'"});
}

TEST(EnvConfigErrorTest, UnknownNestedKeyNamesDottedPath) {
  ExpectParseError(R"({"domain_randomization_config": {"cube_size_range": [0.01, 0.02]}})",
                   {"test.json", "domain_randomization_config.cube_size_range", "cube_half_size_range"});
  ExpectParseError(R"({"base_camera_settings": {"pos": [1, 1, 1], "up": [0, 0, 1]}})",
                   {"base_camera_settings.up"});
}

TEST(EnvConfigErrorTest, WrongTypes) {
  ExpectParseError(R"({"spawn_box_half_size": "0.1"})", {"test.json", "'spawn_box_half_size'", "a number"});
  ExpectParseError(R"({"base_camera_settings": {"pos": [0.69, 0.37]}})",
                   {"'base_camera_settings.pos'", "3 numbers"});
  ExpectParseError(R"({"base_camera_settings": {"pos": [0.69, "a", 0.28]}})", {"'base_camera_settings.pos'"});
  ExpectParseError(R"({"base_camera_settings": [0.69, 0.37, 0.28]})",
                   {"'base_camera_settings'", "an object"});
  ExpectParseError(R"({"domain_randomization": 1})", {"'domain_randomization'", "true or false"});
  ExpectParseError(R"({"spawn_box_pos": [0.3, 0.05, 0.0]})", {"'spawn_box_pos'", "2 numbers"});
  ExpectParseError(R"({"greenscreen_overlay_path": 3})", {"'greenscreen_overlay_path'", "a string or null"});
  ExpectParseError(R"({"control_mode": 1})", {"'control_mode'", "a string"});
  ExpectParseError(R"({"robot_uids": "so101"})", {"'robot_uids'", "so100"});
  ExpectParseError(R"([1, 2, 3])", {"test.json", "JSON object"});
}

TEST(EnvConfigErrorTest, ValuesOutOfRange) {
  ExpectParseError(R"({"base_camera_settings": {"fov": 0}})", {"test.json", "'base_camera_settings.fov'"});
  ExpectParseError(R"({"base_camera_settings": {"fov": 3.5}})", {"'base_camera_settings.fov'"});
  ExpectParseError(R"({"base_camera_settings": {"pos": [0.1, 0.2, 0.3], "target": [0.1, 0.2, 0.3]}})",
                   {"'base_camera_settings.target'"});
  ExpectParseError(R"({"spawn_box_half_size": -0.01})", {"'spawn_box_half_size'", "[0, 0.5]"});
  ExpectParseError(R"({"domain_randomization_config": {"cube_half_size_range": [0.014, 0.011]}})",
                   {"'domain_randomization_config.cube_half_size_range'", "low <= high"});
  ExpectParseError(R"({"domain_randomization_config": {"cube_friction_bounds": [0.5, 0.1]}})",
                   {"'domain_randomization_config.cube_friction_bounds'"});
  ExpectParseError(R"({"domain_randomization_config": {"initial_qpos_noise_scale": -1}})",
                   {"'domain_randomization_config.initial_qpos_noise_scale'"});
  ExpectParseError(R"({"domain_randomization_config": {"camera_fov_noise": 2.0}})",
                   {"'domain_randomization_config.camera_fov_noise'"});
}

TEST(EnvConfigErrorTest, MissingFilesNameKeyAndPath) {
  const std::string missing = (fs::temp_directory_path() / "s2r_no_such_overlay_3141.png").string();
  ExpectParseError(R"({"greenscreen_overlay_path": ")" + missing + R"("})",
                   {"test.json", "'greenscreen_overlay_path'", missing, "does not exist"});
  const std::string missing_xml = (fs::temp_directory_path() / "s2r_no_such_robot_3141.xml").string();
  ExpectParseError(R"({"robot_mjcf_path": ")" + missing_xml + R"("})",
                   {"'robot_mjcf_path'", missing_xml, "does not exist"});
  // A folder is not a file.
  ExpectParseError(R"({"robot_mjcf_path": ")" + kSourceDir + R"(/assets"})", {"'robot_mjcf_path'"});
}

TEST(EnvConfigErrorTest, MissingConfigFileNamesFlagAndPath) {
  const std::string missing = (fs::temp_directory_path() / "s2r_no_such_env_config_3141.json").string();
  try {
    LoadGraspCubeConfig(missing);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_THAT(std::string(e.what()), HasSubstr("--env-kwargs-json-path"));
    EXPECT_THAT(std::string(e.what()), HasSubstr(missing));
  }
}

TEST(EnvConfigErrorTest, InvalidJson) {
  ExpectParseError(R"({"spawn_box_half_size": 0.1,})", {"test.json", "not valid JSON"});
  ExpectParseError("", {"test.json", "not valid JSON"});
  TempPath file(".json");
  WriteFile(file.path(), "{\"base_camera_settings\": {");
  try {
    LoadGraspCubeConfig(file.str());
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_THAT(std::string(e.what()), HasSubstr(file.str()));
    EXPECT_THAT(std::string(e.what()), HasSubstr("not valid JSON"));
  }
}

TEST(EnvConfigErrorTest, InvalidRobotColor) {
  ExpectParseError(R"({"domain_randomization_config": {"robot_color": "blue"}})",
                   {"'domain_randomization_config.robot_color'", "random"});
  ExpectParseError(R"({"domain_randomization_config": {"robot_color": 0.5}})",
                   {"'domain_randomization_config.robot_color'"});
  ExpectParseError(R"({"domain_randomization_config": {"robot_color": [0.1, 0.2]}})",
                   {"'domain_randomization_config.robot_color'"});
  ExpectParseError(R"({"domain_randomization_config": {"robot_color": [0.1, 0.2, 1.5]}})",
                   {"'domain_randomization_config.robot_color'", "[0, 1]"});
}

TEST(EnvConfigErrorTest, UnknownControlAndRewardMode) {
  ExpectParseError(R"({"control_mode": "pd_ee_delta_pose"})",
                   {"test.json", "control_mode", "pd_ee_delta_pose", "pd_joint_target_delta_pos"});
  ExpectParseError(R"({"reward_mode": "shaped"})",
                   {"test.json", "reward_mode", "shaped", "normalized_dense"});
}

// ---------------------------------------------------------------------------------------------
// Env configs by env id: each task reads its own keys

std::unique_ptr<sim::EnvConfig> ParseOf(const std::string& id, const std::string& json) {
  return ParseEnvConfigOf(id, json, "jb.json", "");
}

TEST(EnvConfigOfTest, JetbotKeysComeThroughOverTheTasksDefaults) {
  const auto goal = ParseOf("JetbotGoal-v0", "{}");
  const auto& g = dynamic_cast<const sim::JetbotConfig&>(*goal);
  EXPECT_EQ(g.task, sim::JetbotTask::kGoal);
  EXPECT_TRUE(g.domain_randomization);
  EXPECT_EQ(g.sensor_width, 224);
  const auto direct = ParseOf("Isaac-Jetbot-Direct-v0", R"({
    "sensor_configs": {"width": 96, "height": 64}, "max_episode_steps": 90, "robot_uids": "jetbot",
    "control_mode": "motor_duty", "motor": {"max_wheel_speed": 12.5, "stall_torque": 0.2},
    "camera": {"pos": [0.05, 0.0, 0.07], "pitch": 0.3, "fov": 1.1, "update_period": 0.05},
    "arena_half_size": 2.0, "robot_start": [-0.5, 0.1, 0.2], "robot_pose_noise": {"xy": 0.02, "yaw": 0.1},
    "block_start": [0.4, -0.1], "goal_distance_range": [0.4, 0.9], "goal_bearing_range": [-0.3, 0.4],
    "success_distance": 0.25, "domain_randomization": true,
    "domain_randomization_config": {"floor_color_jitter": 0.1, "wall_color_jitter": 0.15,
      "block_color_jitter": 0.05, "ambient_range": [0.25, 0.45], "diffuse_range": [0.4, 0.6],
      "camera_pos_noise": [0.005, 0.006, 0.007], "camera_pitch_noise": 0.02, "camera_fov_noise": 0.03,
      "motor_gain_range": [0.9, 1.1], "wheel_friction_range": [0.7, 1.0]}})");
  const auto& d = dynamic_cast<const sim::JetbotConfig&>(*direct);
  EXPECT_EQ(d.task, sim::JetbotTask::kDirect);
  EXPECT_EQ(d.sensor_width, 96);
  EXPECT_EQ(d.sensor_height, 64);
  EXPECT_EQ(d.max_episode_steps, 90);
  EXPECT_DOUBLE_EQ(d.motor.max_wheel_speed, 12.5);
  EXPECT_DOUBLE_EQ(d.motor.stall_torque, 0.2);
  EXPECT_DOUBLE_EQ(d.camera.pos[2], 0.07);
  EXPECT_DOUBLE_EQ(d.camera.pitch, 0.3);
  EXPECT_DOUBLE_EQ(d.camera.fov, 1.1);
  EXPECT_DOUBLE_EQ(d.camera.update_period, 0.05);
  EXPECT_DOUBLE_EQ(d.arena_half_size, 2.0);
  EXPECT_DOUBLE_EQ(d.robot_start[2], 0.2);
  EXPECT_DOUBLE_EQ(d.robot_pose_noise.xy, 0.02);
  EXPECT_DOUBLE_EQ(d.robot_pose_noise.yaw, 0.1);
  EXPECT_DOUBLE_EQ(d.block_start[1], -0.1);
  EXPECT_DOUBLE_EQ(d.goal_distance_range[1], 0.9);
  EXPECT_DOUBLE_EQ(d.goal_bearing_range[0], -0.3);
  EXPECT_DOUBLE_EQ(d.success_distance, 0.25);
  EXPECT_TRUE(d.domain_randomization);
  const auto& dr = d.domain_randomization_config;
  EXPECT_DOUBLE_EQ(dr.floor_color_jitter, 0.1);
  EXPECT_DOUBLE_EQ(dr.wall_color_jitter, 0.15);
  EXPECT_DOUBLE_EQ(dr.block_color_jitter, 0.05);
  EXPECT_DOUBLE_EQ(dr.ambient_range[0], 0.25);
  EXPECT_DOUBLE_EQ(dr.diffuse_range[1], 0.6);
  EXPECT_DOUBLE_EQ(dr.camera_pos_noise[1], 0.006);
  EXPECT_DOUBLE_EQ(dr.camera_pitch_noise, 0.02);
  EXPECT_DOUBLE_EQ(dr.camera_fov_noise, 0.03);
  EXPECT_DOUBLE_EQ(dr.motor_gain_range[0], 0.9);
  EXPECT_DOUBLE_EQ(dr.wheel_friction_range[1], 1.0);
  // The SO-100's file still reads as its own type through the same entry point.
  const auto grasp = ParseOf("SO100GraspCube-v1", R"({"spawn_box_half_size": 0.05})");
  EXPECT_DOUBLE_EQ(dynamic_cast<const sim::GraspCubeConfig&>(*grasp).spawn_box_half_size, 0.05);
}

TEST(EnvConfigOfTest, EachTaskRefusesTheOthersKeysAndBadValuesNamingTheKey) {
  auto expect_error = [](const std::string& id, const std::string& json,
                         std::initializer_list<std::string> parts) {
    try {
      ParseOf(id, json);
      ADD_FAILURE() << id << " accepted " << json;
    } catch (const ConfigError& e) {
      for (const auto& p : parts) EXPECT_THAT(std::string(e.what()), HasSubstr(p)) << json;
    }
  };
  expect_error("JetbotGoal-v0", R"({"spawn_box_pos": [0.3, 0.0]})",
               {"jb.json", "spawn_box_pos", "goal_distance_range"});
  expect_error("SO100GraspCube-v1", R"({"goal_distance_range": [0.3, 0.5]})",
               {"jb.json", "goal_distance_range", "spawn_box_pos"});
  expect_error("JetbotGoal-v0", R"({"motor": {"stall_torque": -1}})", {"jb.json", "motor.stall_torque"});
  expect_error("JetbotGoal-v0", R"({"motor": {"torque": 1}})", {"jb.json", "motor.torque", "stall_torque"});
  expect_error("JetbotGoal-v0", R"({"camera": {"pos": [0, 0]}})", {"jb.json", "camera.pos", "3 numbers"});
  expect_error("JetbotGoal-v0", R"({"control_mode": "pd_joint_pos"})",
               {"jb.json", "control_mode", "motor_duty"});
  expect_error("JetbotGoal-v0", R"({"robot_uids": "so100"})", {"jb.json", "robot_uids", "jetbot"});
  expect_error("JetbotGoal-v0", R"({"max_episode_steps": 1.5})", {"jb.json", "max_episode_steps"});
  expect_error("JetbotGoal-v0", R"({"domain_randomization_config": {"wheel_friction_range": [2, 1]}})",
               {"jb.json", "domain_randomization_config.wheel_friction_range"});
  expect_error("Nope-v0", "{}", {"Nope-v0", "JetbotGoal-v0"});
}

// ---------------------------------------------------------------------------------------------
// Robot config

TEST(RobotConfigTest, So100Loads) {
  const RobotConfig rc = LoadRobotConfig(kSourceDir + "/configs/robots/so100.json");
  EXPECT_EQ(rc.robot, "so100");
  ASSERT_EQ(rc.joint_map.joints.size(), static_cast<size_t>(so100::kNumJoints));
  for (int j = 0; j < so100::kNumJoints; ++j) {
    EXPECT_EQ(rc.joint_map.joints[j].name, so100::kJointNames[j]);
    EXPECT_EQ(rc.joint_map.joints[j].sign, 1.0);
  }
  EXPECT_DOUBLE_EQ(rc.joint_map.joints[2].offset_deg, 6.8);
  EXPECT_DOUBLE_EQ(rc.joint_map.ToDegrees(2, 0.0), 6.8);
}

TEST(RobotConfigTest, DefaultPathPointsAtRobotsFolder) {
  const std::string p = DefaultRobotConfigPath("so100");
  EXPECT_THAT(p, ::testing::EndsWith("/robots/so100.json"));
  if (std::getenv("SIM2REAL_CONFIGS") == nullptr) {
    EXPECT_NO_THROW(LoadRobotConfig(p));
  }
}

// Writes a robot config with the given joint_map JSON and expects a ConfigError holding `parts`.
void ExpectRobotError(const std::string& json, std::initializer_list<std::string> parts) {
  TempPath file(".json");
  WriteFile(file.path(), json);
  try {
    LoadRobotConfig(file.str());
    ADD_FAILURE() << "expected ConfigError for " << json;
  } catch (const ConfigError& e) {
    EXPECT_THAT(std::string(e.what()), HasSubstr(file.str()));
    for (const auto& p : parts) EXPECT_THAT(std::string(e.what()), HasSubstr(p)) << "json: " << json;
  }
}

TEST(RobotConfigTest, Errors) {
  ExpectRobotError(R"({"robot": "so100", "joint_map": [{"name": "shoulder_pan"}]})",
                   {"joint_map", "1 joints"});
  ExpectRobotError(R"({"robot": "so100", "joint_map": [
      {"name": "shoulder_lift"}, {"name": "shoulder_pan"}, {"name": "elbow_flex"},
      {"name": "wrist_flex"}, {"name": "wrist_roll"}, {"name": "gripper"}]})",
                   {"joint_map[0].name", "shoulder_pan"});
  ExpectRobotError(R"({"robot": "so100", "joint_map": [{"name": "shoulder_pan", "offset": 1}]})",
                   {"joint_map[0].offset"});
  ExpectRobotError(R"({"robot": "so100", "joint_map": [{"name": "shoulder_pan", "sign": "+"}]})",
                   {"joint_map[0].sign", "a number"});
  ExpectRobotError(R"({"robot": "so100", "joint_map": {}})", {"'joint_map'"});
  ExpectRobotError(R"({"joint_map": []})", {"'robot'"});
  ExpectRobotError(R"({"robot": "so100", "joint_map": [], "extra": 1})", {"unknown key 'extra'"});
  ExpectRobotError("{", {"not valid JSON"});
  const std::string missing = (fs::temp_directory_path() / "s2r_no_such_robot_3141.json").string();
  try {
    LoadRobotConfig(missing);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_THAT(std::string(e.what()), HasSubstr(missing));
  }
}

}  // namespace
}  // namespace s2r::app
