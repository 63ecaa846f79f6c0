// Tests of the real-robot layer above the Feetech bus: LeRobot calibration files and their locations,
// LeRobot's normalization, So100Follower (handshake, configure, goals, torque safety) and the calibration
// procedure, all against the servo emulator on a real pseudo-terminal (no mocks).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"
#include "hw/calibration.h"
#include "hw/calibration_procedure.h"
#include "hw/feetech/bus.h"
#include "hw/so100_follower.h"
#include "hw/virtual/servo_bus_emulator.h"

namespace s2r::hw {
namespace {

namespace fs = std::filesystem;
using feetech::EmulatedServo;
using feetech::EmulatorOptions;
using feetech::FirstOrderMotionModel;
using feetech::Register;
using feetech::ServoBusEmulator;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr double kInf = std::numeric_limits<double>::infinity();
const std::vector<int> kIds = {1, 2, 3, 4, 5, 6};
const fs::path kDataFile = fs::path(S2R_SOURCE_DIR) / "tests/data/so_follower_calibration.json";

std::string ReadBytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteBytes(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

// A fresh folder under /tmp, removed at the end.
struct TempDir {
  TempDir() {
    static std::atomic<int> n{0};
    path = fs::temp_directory_path() /
           ("s2r_robot_test_" + std::to_string(::getpid()) + "_" + std::to_string(n++));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  fs::path path;
};

// Sets environment variables for one test and restores them.
class EnvGuard {
 public:
  EnvGuard() {
    for (const char* name : kNames) {
      const char* v = std::getenv(name);
      saved_[name] = v ? std::optional<std::string>(v) : std::nullopt;
      ::unsetenv(name);
    }
  }
  ~EnvGuard() {
    for (const auto& [name, v] : saved_) {
      if (v) {
        ::setenv(name.c_str(), v->c_str(), 1);
      } else {
        ::unsetenv(name.c_str());
      }
    }
  }
  void Set(const char* name, const std::string& value) { ::setenv(name, value.c_str(), 1); }

 private:
  static constexpr const char* kNames[] = {"HF_LEROBOT_CALIBRATION", "HF_LEROBOT_HOME", "HF_HOME",
                                           "XDG_CACHE_HOME", "HOME"};
  std::map<std::string, std::optional<std::string>> saved_;
};

Calibration DataCalibration() { return ReadCalibrationFile(kDataFile); }

// ---------------------------------------------------------------------------------------------
// Files

TEST(CalibrationFileTest, LeRobotFileReadsUnchangedAndRoundTripsByteForByte) {
  const Calibration cal = DataCalibration();
  ASSERT_EQ(cal.size(), 6u);
  std::vector<std::string> names;
  for (const auto& [name, m] : cal) names.push_back(name);
  EXPECT_THAT(names, ElementsAre("shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll",
                                 "gripper"));
  EXPECT_EQ(cal.At("shoulder_pan"), (MotorCalibration{1, 0, -1599, 784, 3428}));
  EXPECT_EQ(cal.At("wrist_roll"), (MotorCalibration{5, 0, -1745, 0, 4095}));
  EXPECT_EQ(cal.At("gripper"), (MotorCalibration{6, 0, 1361, 2023, 3485}));
  // LeRobot's bytes (json.dump indent=4, no trailing newline) come back exactly.
  const std::string original = ReadBytes(kDataFile);
  EXPECT_EQ(CalibrationToJson(cal), original);
  TempDir dir;
  const fs::path out = dir.path / "robots/so_follower/arm.json";  // parent folders are created
  WriteCalibrationFile(out, cal);
  EXPECT_EQ(ReadBytes(out), original);
  EXPECT_EQ(ReadCalibrationFile(out), cal);
  // Atomic write: only the file is left (no temporary), and an overwrite replaces it whole.
  Calibration changed = cal;
  changed.Set("gripper", MotorCalibration{6, 1, 0, 100, 200});
  WriteCalibrationFile(out, changed);
  EXPECT_EQ(ReadCalibrationFile(out), changed);
  int files = 0;
  for (const auto& e : fs::directory_iterator(out.parent_path())) files += e.is_regular_file();
  EXPECT_EQ(files, 1);
  EXPECT_EQ(fs::status(out).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read);
}

TEST(CalibrationFileTest, KeyOrderAndNonAsciiNamesArePreserved) {
  // As Python writes it: file order kept, non-ASCII escaped.
  const std::string text =
      "{\n    \"gripper\": {\n        \"id\": 6,\n        \"drive_mode\": 1,\n        \"homing_offset\": 0,\n"
      "        \"range_min\": 10,\n        \"range_max\": 20\n    },\n    \"\\u00e9paule\": {\n        "
      "\"id\": 1,\n"
      "        \"drive_mode\": 0,\n        \"homing_offset\": -2047,\n        \"range_min\": 0,\n"
      "        \"range_max\": 4095\n    }\n}";
  const Calibration cal = CalibrationFromJson(text, "inline");
  ASSERT_EQ(cal.size(), 2u);
  EXPECT_EQ(cal.entries()[0].first, "gripper");
  EXPECT_EQ(cal.entries()[1].first, "\xc3\xa9paule");
  EXPECT_EQ(cal.entries()[0].second.drive_mode, 1);
  EXPECT_EQ(CalibrationToJson(cal), text);
  // Keys inside a joint in another order still read; they are written back in LeRobot's order.
  const Calibration shuffled = CalibrationFromJson(
      R"({"a": {"range_max": 5, "id": 2, "range_min": 1, "homing_offset": 3, "drive_mode": 0}})", "inline");
  EXPECT_EQ(shuffled.At("a"), (MotorCalibration{2, 0, 3, 1, 5}));
  EXPECT_EQ(CalibrationToJson(shuffled),
            "{\n    \"a\": {\n        \"id\": 2,\n        \"drive_mode\": 0,\n        \"homing_offset\": 3,\n"
            "        \"range_min\": 1,\n        \"range_max\": 5\n    }\n}");
  EXPECT_EQ(CalibrationToJson(Calibration{}), "{}");
}

TEST(CalibrationFileTest, ErrorsNameTheFileAndTheKey) {
  TempDir dir;
  auto expect_error = [&](const std::string& text, const std::vector<std::string>& parts) {
    const fs::path p = dir.path / "bad.json";
    WriteBytes(p, text);
    try {
      ReadCalibrationFile(p);
      ADD_FAILURE() << "accepted: " << text;
    } catch (const ConfigError& e) {
      EXPECT_THAT(e.what(), HasSubstr(p.string()));
      for (const auto& part : parts) EXPECT_THAT(e.what(), HasSubstr(part)) << text;
    }
  };
  expect_error(R"({"gripper": {"id": 6, "drive_mode": 0, "homing_offset": 0, "range_min": 1}})",
               {"gripper.range_max", "missing"});
  expect_error(
      R"({"shoulder_pan": {"id": "1", "drive_mode": 0, "homing_offset": 0, "range_min": 1, "range_max": 2}})",
      {"shoulder_pan.id", "integer"});
  expect_error(R"({"a": {"id": 1.5, "drive_mode": 0, "homing_offset": 0, "range_min": 1, "range_max": 2}})",
               {"a.id", "integer"});
  expect_error(
      R"({"a": {"id": 1, "drive_mode": 0, "homing_offset": 0, "range_min": 1, "range_max": 2, "x": 0}})",
      {"a.x", "not a MotorCalibration field"});
  expect_error(R"({"a": 3})", {"'a'", "object"});
  expect_error("[1, 2]", {"object"});
  expect_error("{\"a\": ", {"not valid JSON"});
  try {
    ReadCalibrationFile(dir.path / "missing.json");
    FAIL() << "read a missing file";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr((dir.path / "missing.json").string()));
  }
  // A write that cannot happen names the file.
  WriteBytes(dir.path / "blocker", "x");
  EXPECT_THROW(WriteCalibrationFile(dir.path / "blocker/sub/c.json", DataCalibration()), IoError);
}

// ---------------------------------------------------------------------------------------------
// Locations

TEST(CalibrationLocationTest, RootFollowsLeRobotsEnvironmentVariables) {
  EnvGuard env;
  env.Set("HOME", "/home/u");
  EXPECT_EQ(CalibrationRoot(), fs::path("/home/u/.cache/huggingface/lerobot/calibration"));
  env.Set("XDG_CACHE_HOME", "/xdg");
  EXPECT_EQ(CalibrationRoot(), fs::path("/xdg/huggingface/lerobot/calibration"));
  env.Set("HF_HOME", "~/hf");
  EXPECT_EQ(CalibrationRoot(), fs::path("/home/u/hf/lerobot/calibration"));
  env.Set("HF_HOME", "/data/hf");
  EXPECT_EQ(CalibrationRoot(), fs::path("/data/hf/lerobot/calibration"));
  env.Set("HF_LEROBOT_HOME", "/lerobot_home");
  EXPECT_EQ(CalibrationRoot(), fs::path("/lerobot_home/calibration"));
  env.Set("HF_LEROBOT_CALIBRATION", "/cal");
  EXPECT_EQ(CalibrationRoot(), fs::path("/cal"));
  env.Set("HF_LEROBOT_CALIBRATION", "");  // empty: unset
  EXPECT_EQ(CalibrationRoot(), fs::path("/lerobot_home/calibration"));
  env.Set("HF_LEROBOT_CALIBRATION", "/cal");
  EXPECT_EQ(FollowerCalibrationPath("arm"), fs::path("/cal/robots/so_follower/arm.json"));
  EXPECT_EQ(FollowerCalibrationPath("arm", fs::path("/my/dir")), fs::path("/my/dir/arm.json"));
  EXPECT_THAT(FollowerCalibrationSearchPaths("arm"),
              ElementsAre(fs::path("/cal/robots/so_follower/arm.json"),
                          fs::path("/cal/robots/so100_follower/arm.json"),
                          fs::path("/cal/robots/so101_follower/arm.json")));
  EXPECT_THAT(FollowerCalibrationSearchPaths("arm", fs::path("/d")), ElementsAre(fs::path("/d/arm.json")));
}

TEST(CalibrationLocationTest, ReadingAlsoSearchesTheOlderFolders) {
  EnvGuard env;
  TempDir dir;
  env.Set("HF_HOME", dir.path.string());
  const fs::path root = dir.path / "lerobot/calibration/robots";
  try {
    LoadFollowerCalibration("blue");
    FAIL() << "found a calibration in an empty folder";
  } catch (const ConfigError& e) {
    for (const char* folder : {"so_follower", "so100_follower", "so101_follower"})
      EXPECT_THAT(e.what(), HasSubstr((root / folder / "blue.json").string()));
  }
  const std::string text = ReadBytes(kDataFile);
  WriteBytes(root / "so101_follower/blue.json", text);
  EXPECT_EQ(LoadFollowerCalibration("blue").path, root / "so101_follower/blue.json");
  WriteBytes(root / "so100_follower/blue.json", text);
  EXPECT_EQ(FindFollowerCalibration("blue"), root / "so100_follower/blue.json");
  WriteBytes(root / "so_follower/blue.json", text);
  const LoadedCalibration loaded = LoadFollowerCalibration("blue");
  EXPECT_EQ(loaded.path, root / "so_follower/blue.json");
  EXPECT_EQ(loaded.calibration, DataCalibration());
  // An explicit folder is the only place looked at.
  EXPECT_EQ(FindFollowerCalibration("blue", dir.path / "elsewhere"), std::nullopt);
}

// ---------------------------------------------------------------------------------------------
// Normalization (values computed by hand from LeRobot's formulas)

TEST(NormalizationTest, DegreesBothWaysIgnoreDriveModeAndAreNotClamped) {
  const MotorCalibration pan{1, 0, -1599, 784, 3428};  // mid 2106
  EXPECT_DOUBLE_EQ(Normalize(pan, MotorNormMode::kDegrees, 2106), 0.0);
  EXPECT_DOUBLE_EQ(Normalize(pan, MotorNormMode::kDegrees, 3000), 894.0 * 360.0 / 4095.0);  // 78.593...
  EXPECT_NEAR(Normalize(pan, MotorNormMode::kDegrees, 3000), 78.5934066, 1e-6);
  EXPECT_NEAR(Normalize(pan, MotorNormMode::kDegrees, 500), -141.1868132,
              1e-6);                                                  // below range_min: unclamped
  EXPECT_EQ(Unnormalize(pan, MotorNormMode::kDegrees, 78.6), 3000);   // 3000.075 truncated
  EXPECT_EQ(Unnormalize(pan, MotorNormMode::kDegrees, -10.0), 1992);  // 1992.25
  EXPECT_EQ(Unnormalize(pan, MotorNormMode::kDegrees, 180.0), 4153);  // unclamped: 4153.5
  MotorCalibration inverted = pan;
  inverted.drive_mode = 1;
  EXPECT_DOUBLE_EQ(Normalize(inverted, MotorNormMode::kDegrees, 3000),
                   Normalize(pan, MotorNormMode::kDegrees, 3000));
  EXPECT_EQ(Unnormalize(inverted, MotorNormMode::kDegrees, -10.0), 1992);
  // Python's int() truncates toward zero: -63.75 -> -63 (not -64).
  const MotorCalibration low{1, 0, 0, 0, 100};  // mid 50
  EXPECT_EQ(Unnormalize(low, MotorNormMode::kDegrees, -10.0), -63);
  // Odd sums: the middle is fractional (2047.5) and 0 deg maps back to 2047.
  const MotorCalibration full{5, 0, 0, 0, 4095};
  EXPECT_DOUBLE_EQ(Normalize(full, MotorNormMode::kDegrees, 2047), -0.5 * 360.0 / 4095.0);
  EXPECT_EQ(Unnormalize(full, MotorNormMode::kDegrees, 0.0), 2047);
  EXPECT_DOUBLE_EQ(Normalize(full, MotorNormMode::kDegrees, 4095), 180.0);
}

TEST(NormalizationTest, GripperRange0To100WithDriveModeAndClamping) {
  const MotorCalibration g{6, 0, 1361, 2023, 3485};  // span 1462
  EXPECT_DOUBLE_EQ(Normalize(g, MotorNormMode::kRange0To100, 2023), 0.0);
  EXPECT_DOUBLE_EQ(Normalize(g, MotorNormMode::kRange0To100, 3485), 100.0);
  EXPECT_DOUBLE_EQ(Normalize(g, MotorNormMode::kRange0To100, 2754), 50.0);
  EXPECT_NEAR(Normalize(g, MotorNormMode::kRange0To100, 3000), 66.8262654, 1e-6);  // 977 / 1462
  EXPECT_DOUBLE_EQ(Normalize(g, MotorNormMode::kRange0To100, 1000), 0.0);          // clamped
  EXPECT_DOUBLE_EQ(Normalize(g, MotorNormMode::kRange0To100, 4000), 100.0);
  EXPECT_EQ(Unnormalize(g, MotorNormMode::kRange0To100, 50.0), 2754);
  EXPECT_EQ(Unnormalize(g, MotorNormMode::kRange0To100, 66.8), 2999);   // 2999.616 truncated
  EXPECT_EQ(Unnormalize(g, MotorNormMode::kRange0To100, 150.0), 3485);  // clamped to 100
  EXPECT_EQ(Unnormalize(g, MotorNormMode::kRange0To100, -5.0), 2023);
  MotorCalibration inv = g;
  inv.drive_mode = 1;
  EXPECT_NEAR(Normalize(inv, MotorNormMode::kRange0To100, 3000), 100.0 - 66.8262654, 1e-6);
  EXPECT_DOUBLE_EQ(Normalize(inv, MotorNormMode::kRange0To100, 2023), 100.0);
  EXPECT_EQ(Unnormalize(inv, MotorNormMode::kRange0To100, 25.0), 3119);  // 75 % -> 3119.5
  EXPECT_EQ(Unnormalize(inv, MotorNormMode::kRange0To100, 100.0), 2023);
}

TEST(NormalizationTest, RangeM100To100AndInvalidCalibrations) {
  const MotorCalibration m{2, 0, 0, 1000, 3000};
  EXPECT_DOUBLE_EQ(Normalize(m, MotorNormMode::kRangeM100To100, 2500), 50.0);
  EXPECT_DOUBLE_EQ(Normalize(m, MotorNormMode::kRangeM100To100, 500), -100.0);
  EXPECT_EQ(Unnormalize(m, MotorNormMode::kRangeM100To100, 50.0), 2500);
  EXPECT_EQ(Unnormalize(m, MotorNormMode::kRangeM100To100, 170.0), 3000);
  MotorCalibration inv = m;
  inv.drive_mode = 1;
  EXPECT_DOUBLE_EQ(Normalize(inv, MotorNormMode::kRangeM100To100, 2500), -50.0);
  EXPECT_EQ(Unnormalize(inv, MotorNormMode::kRangeM100To100, -50.0), 2500);
  const MotorCalibration flat{3, 0, 0, 2000, 2000};
  try {
    Normalize(flat, MotorNormMode::kRange0To100, 2000);
    FAIL() << "min == max accepted";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("id 3"));
  }
  EXPECT_THROW(Unnormalize(flat, MotorNormMode::kDegrees, 0.0), ConfigError);
  EXPECT_THROW(Unnormalize(m, MotorNormMode::kDegrees, std::nan("")), std::invalid_argument);
  EXPECT_THROW(Unnormalize(m, MotorNormMode::kDegrees, 1e12), std::invalid_argument);
}

// ---------------------------------------------------------------------------------------------
// Over a real PTY

std::string UniqueLink() {
  static std::atomic<int> n{0};
  return "/tmp/s2r_robot_test_" + std::to_string(::getpid()) + "_" + std::to_string(n++);
}

// Emulated arm: six STS3215 (instant motion) at the given actual positions (ticks).
struct Arm {
  explicit Arm(std::vector<double> actual = std::vector<double>(6, 2048),
               std::vector<EmulatedServo> servos = {})
      : model(std::make_shared<FirstOrderMotionModel>(actual, feetech::FirstOrderMotionParams{kInf, 0.0})),
        emu(Options(actual, std::move(servos), model)) {}

  static EmulatorOptions Options(const std::vector<double>& actual, std::vector<EmulatedServo> servos,
                                 std::shared_ptr<FirstOrderMotionModel> m) {
    EmulatorOptions o;
    if (servos.empty()) {
      for (size_t i = 0; i < actual.size(); ++i) {
        EmulatedServo s;
        s.id = static_cast<int>(i) + 1;
        s.initial_position = actual[i];
        servos.push_back(s);
      }
    }
    o.servos = std::move(servos);
    o.link_path = UniqueLink();
    o.motion = std::move(m);
    return o;
  }

  So100FollowerConfig Config() const {
    So100FollowerConfig c;
    c.port = emu.port();
    c.id = "test_arm";
    return c;
  }
  std::vector<int> Registers(Register reg) {
    std::vector<int> out;
    for (int id : emu.ids()) out.push_back(emu.ReadRegister(id, reg));
    return out;
  }

  std::shared_ptr<FirstOrderMotionModel> model;
  ServoBusEmulator emu;
};

// Actual positions (ticks) that put each joint of `cal` at the middle of its calibrated range.
std::vector<double> MiddlePositions(const Calibration& cal) {
  std::vector<double> out;
  for (const auto& [name, m] : cal)
    out.push_back(((m.range_min + m.range_max) / 2 + m.homing_offset + 4096) % 4096);
  return out;
}

TEST(FollowerTest, ConnectHandshakeSucceeds) {
  Arm arm;
  So100Follower robot(arm.Config(), DataCalibration());
  EXPECT_FALSE(robot.connected());
  robot.Connect();
  EXPECT_TRUE(robot.connected());
  for (int id : kIds) EXPECT_GE(arm.emu.PacketsFor(id), 4) << "id " << id;  // PING, model, firmware x2
  EXPECT_THROW(robot.Connect(), std::logic_error);
  robot.Disconnect();
  EXPECT_FALSE(robot.connected());
}

TEST(FollowerTest, ConnectFailsNamingPortAndMissingId) {
  std::vector<EmulatedServo> servos;
  for (int id : {1, 2, 4, 5, 6}) servos.push_back(EmulatedServo{.id = id});
  Arm arm(std::vector<double>(5, 2048), servos);
  So100FollowerConfig config = arm.Config();
  config.num_retry = 0;
  So100Follower robot(config);
  try {
    robot.Connect();
    FAIL() << "connected without servo 3";
  } catch (const HandshakeError& e) {
    EXPECT_THAT(e.ids(), ElementsAre(3));
    EXPECT_EQ(e.port(), arm.emu.port());
    EXPECT_THAT(e.what(), HasSubstr(arm.emu.port()));
    EXPECT_THAT(e.what(), HasSubstr("id 3 (elbow_flex)"));
  }
  EXPECT_FALSE(robot.connected());
  EXPECT_NO_THROW(feetech::FeetechBus(arm.emu.port()));  // the port was released
}

TEST(FollowerTest, ConnectFailsOnWrongModelAndMixedFirmware) {
  std::vector<EmulatedServo> servos;
  for (int id : kIds) servos.push_back(EmulatedServo{.id = id, .model_number = id == 4 ? 1234 : 777});
  {
    Arm arm(std::vector<double>(6, 2048), servos);
    So100Follower robot(arm.Config());
    try {
      robot.Connect();
      FAIL() << "connected to a wrong model";
    } catch (const HandshakeError& e) {
      EXPECT_THAT(e.ids(), ElementsAre(4));
      EXPECT_THAT(e.what(), HasSubstr("id 4 (wrist_flex): model 1234, expected 777"));
    }
  }
  for (auto& s : servos) s.model_number = 777;
  servos[5].firmware_minor = 9;
  Arm arm(std::vector<double>(6, 2048), servos);
  So100Follower robot(arm.Config());
  try {
    robot.Connect();
    FAIL() << "connected with mixed firmware";
  } catch (const HandshakeError& e) {
    EXPECT_THAT(e.what(), HasSubstr("different firmware"));
    EXPECT_THAT(e.what(), HasSubstr("firmware 3.9: ids 6"));
    EXPECT_THAT(e.what(), HasSubstr("firmware 3.10: ids 1 2 3 4 5"));
  }
  EXPECT_FALSE(robot.connected());
}

TEST(FollowerTest, ConfigureWritesLeRobotsRegistersAndCalibration) {
  const Calibration cal = DataCalibration();
  Arm arm(MiddlePositions(cal));
  arm.emu.WriteRegister(2, Register::kPhase, 0x1C);  // multi-turn bit 4 set, other bits kept
  So100Follower robot(arm.Config(), cal);
  robot.Connect();
  EXPECT_FALSE(robot.IsCalibrated());  // factory offsets and limits
  robot.Configure();
  EXPECT_THAT(arm.Registers(Register::kReturnDelayTime), ElementsAre(0, 0, 0, 0, 0, 0));
  EXPECT_THAT(arm.Registers(Register::kMaximumAcceleration), ElementsAre(254, 254, 254, 254, 254, 254));
  EXPECT_THAT(arm.Registers(Register::kAcceleration), ElementsAre(254, 254, 254, 254, 254, 254));
  EXPECT_THAT(arm.Registers(Register::kPhase), ElementsAre(0, 0x0C, 0, 0, 0, 0));
  EXPECT_THAT(arm.Registers(Register::kOperatingMode), ElementsAre(0, 0, 0, 0, 0, 0));
  EXPECT_THAT(arm.Registers(Register::kPCoefficient), ElementsAre(16, 16, 16, 16, 16, 16));
  EXPECT_THAT(arm.Registers(Register::kICoefficient), ElementsAre(0, 0, 0, 0, 0, 0));
  EXPECT_THAT(arm.Registers(Register::kDCoefficient), ElementsAre(32, 32, 32, 32, 32, 32));
  EXPECT_THAT(arm.Registers(Register::kMaxTorqueLimit), ElementsAre(1000, 1000, 1000, 1000, 1000, 500));
  EXPECT_EQ(arm.emu.ReadRegister(6, Register::kProtectionCurrent), 250);
  EXPECT_EQ(arm.emu.ReadRegister(6, Register::kOverloadTorque), 25);
  EXPECT_NE(arm.emu.ReadRegister(5, Register::kOverloadTorque), 25);
  EXPECT_THAT(arm.Registers(Register::kHomingOffset), ElementsAre(-1599, 1376, 1089, 1049, -1745, 1361));
  EXPECT_THAT(arm.Registers(Register::kMinPositionLimit), ElementsAre(784, 812, 869, 882, 0, 2023));
  EXPECT_THAT(arm.Registers(Register::kMaxPositionLimit), ElementsAre(3428, 3231, 3093, 3202, 4095, 3485));
  EXPECT_THAT(arm.Registers(Register::kTorqueEnable), ElementsAre(1, 1, 1, 1, 1, 1));
  EXPECT_THAT(arm.Registers(Register::kLock), ElementsAre(1, 1, 1, 1, 1, 1));
  EXPECT_EQ(arm.Registers(Register::kGoalPosition), arm.Registers(Register::kPresentPosition));
  EXPECT_TRUE(robot.IsCalibrated());
  // Middle of every range: ~0 deg for the arm, ~50 % for the gripper.
  const JointValues q = robot.ReadPositions();
  for (int i = 0; i < 5; ++i) EXPECT_NEAR(q[i], 0.0, 0.1) << i;
  EXPECT_NEAR(q[5], 50.0, 0.1);
  // The EEPROM writes were made unlocked: they survive a power cycle.
  arm.emu.PowerCycle();
  EXPECT_THAT(arm.Registers(Register::kHomingOffset), ElementsAre(-1599, 1376, 1089, 1049, -1745, 1361));
  EXPECT_EQ(arm.emu.ReadRegister(6, Register::kMaxTorqueLimit), 500);
}

TEST(FollowerTest, SendGoalClipsToMaxRelativeTarget) {
  const Calibration cal = DataCalibration();
  Arm arm(MiddlePositions(cal));
  So100Follower robot(arm.Config(), cal);  // default cap: 10 deg / 10 %
  robot.Connect();
  robot.Configure();
  const JointValues start = robot.ReadPositions();
  const JointValues sent = robot.SendGoal({30.0, -25.0, start[2] + 5.0, start[3], start[4], 80.0});
  EXPECT_NEAR(sent[0], start[0] + 10.0, 1e-9);
  EXPECT_NEAR(sent[1], start[1] - 10.0, 1e-9);
  EXPECT_NEAR(sent[2], start[2] + 5.0, 1e-9);  // inside the cap: unchanged
  EXPECT_NEAR(sent[5], start[5] + 10.0, 1e-9);
  // A SYNC_WRITE gets no reply: this read (a round trip) also makes sure the emulator has applied it.
  const JointValues now = robot.ReadPositions();  // instant motion
  for (int i = 0; i < 6; ++i) {
    const JointSpec& j = robot.joints()[i];
    EXPECT_EQ(arm.emu.ReadRegister(j.id, Register::kGoalPosition),
              Unnormalize(cal.At(j.name), j.norm_mode, sent[i]))
        << j.name;
  }
  for (int i = 0; i < 6; ++i) EXPECT_NEAR(now[i], sent[i], 0.1) << i;

  // Without a cap the goal goes through as is.
  robot.Disconnect();
  So100FollowerConfig uncapped = arm.Config();
  uncapped.max_relative_target.reset();
  So100Follower free_robot(uncapped, cal);
  free_robot.Connect();
  free_robot.TorqueOn();
  const JointValues far = free_robot.SendGoal({30.0, -25.0, 0.0, 0.0, 0.0, 80.0});
  EXPECT_DOUBLE_EQ(far[0], 30.0);
  EXPECT_DOUBLE_EQ(far[5], 80.0);
  EXPECT_NEAR(free_robot.ReadPositions()[0], 30.0, 0.1);
  So100FollowerConfig zero_cap;
  zero_cap.max_relative_target = So100FollowerConfig::UniformCap(0.0);
  EXPECT_THROW(So100Follower{zero_cap}, ConfigError);
}

TEST(FollowerTest, OutOfLimitGoalIsRefusedBeforeAnythingIsSent) {
  const Calibration cal = DataCalibration();
  Arm arm(MiddlePositions(cal));
  So100Follower robot(arm.Config(), cal);
  robot.Connect();
  robot.Configure();
  const std::vector<int> goals = arm.Registers(Register::kGoalPosition);
  const int64_t packets = arm.emu.counters().packets;
  const auto lim = robot.Limits(2);  // elbow_flex, degrees
  EXPECT_NEAR(lim[0], (869 - 1981.0) * 360 / 4095, 1e-9);
  try {
    robot.SendGoal({0, 0, lim[1] + 1.0, 0, 0, 50});
    FAIL() << "out-of-range elbow goal sent";
  } catch (const GoalLimitError& e) {
    EXPECT_EQ(e.joint(), 2);
    EXPECT_THAT(e.what(), HasSubstr("elbow_flex"));
    EXPECT_THAT(e.what(), HasSubstr("nothing was sent"));
  }
  try {
    robot.SendGoal({0, 0, 0, 0, 0, 100.5});
    FAIL() << "gripper goal above 100 % sent";
  } catch (const GoalLimitError& e) {
    EXPECT_EQ(e.joint(), 5);
  }
  EXPECT_THROW(robot.SendGoal({0, 0, 0, std::nan(""), 0, 50}), std::invalid_argument);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(arm.emu.counters().packets, packets);  // not even the present-position read
  EXPECT_EQ(arm.Registers(Register::kGoalPosition), goals);
  EXPECT_NO_THROW(robot.SendGoal({0, 0, lim[1] - 0.01, 0, 0, 100.0}));  // the edges are allowed
}

TEST(FollowerTest, TorqueOnHoldsWhereTheArmWasMovedByHand) {
  const Calibration cal = DataCalibration();
  Arm arm(MiddlePositions(cal));
  So100Follower robot(arm.Config(), cal);
  robot.Connect();
  robot.Configure();
  robot.TorqueOff();
  EXPECT_THAT(arm.Registers(Register::kTorqueEnable), ElementsAre(0, 0, 0, 0, 0, 0));
  const double moved = arm.model->Position(0) + 300;
  arm.model->SetPosition(0, moved);  // by hand, torque off: the goal register is stale
  robot.TorqueOn();
  EXPECT_DOUBLE_EQ(arm.model->Position(0), moved);  // no jump back to the stale goal
  EXPECT_EQ(arm.emu.ReadRegister(1, Register::kGoalPosition),
            arm.emu.ReadRegister(1, Register::kPresentPosition));
  EXPECT_THAT(arm.Registers(Register::kTorqueEnable), ElementsAre(1, 1, 1, 1, 1, 1));
}

TEST(FollowerTest, TorqueIsTurnedOffOnDestructionAndWhenAnExceptionUnwinds) {
  const Calibration cal = DataCalibration();
  Arm arm(MiddlePositions(cal));
  {
    So100Follower robot(arm.Config(), cal);
    robot.Connect();
    robot.Configure();
    ASSERT_THAT(arm.Registers(Register::kTorqueEnable), ElementsAre(1, 1, 1, 1, 1, 1));
  }
  EXPECT_THAT(arm.Registers(Register::kTorqueEnable), ElementsAre(0, 0, 0, 0, 0, 0));
  EXPECT_THAT(arm.Registers(Register::kLock), ElementsAre(0, 0, 0, 0, 0, 0));
  try {
    So100Follower robot(arm.Config(), cal);
    robot.Connect();
    robot.Configure();
    ASSERT_THAT(arm.Registers(Register::kTorqueEnable), ElementsAre(1, 1, 1, 1, 1, 1));
    throw std::runtime_error("policy crashed");
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "policy crashed");
  }
  EXPECT_THAT(arm.Registers(Register::kTorqueEnable), ElementsAre(0, 0, 0, 0, 0, 0));
  // A servo that stopped answering does not make the destructor throw; the others are still released.
  {
    So100FollowerConfig config = arm.Config();
    config.torque_off_retries = 0;
    So100Follower robot(config, cal);
    robot.Connect();
    robot.Configure();
    arm.emu.SetConnected(3, false);
  }
  EXPECT_EQ(arm.emu.ReadRegister(1, Register::kTorqueEnable), 0);
  EXPECT_EQ(arm.emu.ReadRegister(6, Register::kTorqueEnable), 0);
}

// ---------------------------------------------------------------------------------------------
// Calibration procedure

TEST(CalibrationProcedureTest, HalfTurnOffsetIsWrapSafe) {
  EXPECT_EQ(HalfTurnHomingOffset(2047), 0);
  EXPECT_EQ(HalfTurnHomingOffset(0), -2047);
  EXPECT_EQ(HalfTurnHomingOffset(4094), 2047);
  EXPECT_EQ(HalfTurnHomingOffset(4095), 2047);  // 2048 cannot be encoded (11-bit magnitude)
  EXPECT_EQ(HalfTurnHomingOffset(5000), 904 - 2047);
  EXPECT_EQ(HalfTurnHomingOffset(-10), 4086 - 2047);
}

TEST(CalibrationProcedureTest, ProducesLeRobotsOffsetsAndRanges) {
  const std::vector<double> middle = {1000, 3000, 2048, 500, 3500, 2600};  // actual ticks at the middle pose
  Arm arm(middle);
  arm.emu.WriteRegister(2, Register::kHomingOffset, 300);  // a stale calibration is reset first
  arm.emu.WriteRegister(3, Register::kPhase, 0x10);
  arm.emu.WriteRegister(4, Register::kMaxPositionLimit, 3000);
  So100Follower robot(arm.Config());
  robot.Connect();
  // Sweep extremes, ticks relative to the middle pose.
  const std::vector<int> lows = {-900, -1200, -1000, -1100, -1500, -600};
  const std::vector<int> highs = {1100, 1000, 1050, 1150, 1800, 900};
  std::vector<std::string> asked, shown;
  int calls = 0;
  CalibrationCallbacks cb;
  cb.ask = [&](const std::string& m) {
    asked.push_back(m);
    return std::string();
  };
  cb.show = [&](const std::string& m) { shown.push_back(m); };
  cb.sweep_finished = [&](const SweepStatus& s) {
    EXPECT_EQ(s.joints.size(), 5u);
    ++calls;
    // Samples: lows, middle, highs, middle (a hand never moves half a turn between two samples).
    const std::vector<int>* pose = calls == 1 ? &lows : calls == 3 ? &highs : nullptr;
    for (int i = 0; i < 6; ++i) arm.model->SetPosition(i, middle[i] + (pose ? (*pose)[i] : 0));
    return calls == 5;
  };
  CalibrationOptions opt;
  opt.sample_period = std::chrono::milliseconds(0);
  const Calibration& cal = robot.Calibrate(cb, opt);
  ASSERT_EQ(asked.size(), 1u);
  EXPECT_THAT(asked[0], HasSubstr("middle of its range"));
  ASSERT_EQ(shown.size(), 1u);
  EXPECT_THAT(shown[0], HasSubstr("except 'wrist_roll'"));
  EXPECT_EQ(calls, 5);
  const std::vector<std::string> names = {"shoulder_pan", "shoulder_lift", "elbow_flex",
                                          "wrist_flex",   "wrist_roll",    "gripper"};
  for (int i = 0; i < 6; ++i) {
    const MotorCalibration& m = cal.At(names[i]);
    EXPECT_EQ(m.id, i + 1);
    EXPECT_EQ(m.drive_mode, 0);
    EXPECT_EQ(m.homing_offset, static_cast<int>(middle[i]) - 2047) << names[i];
    EXPECT_EQ(m.range_min, i == 4 ? 0 : 2047 + lows[i]) << names[i];
    EXPECT_EQ(m.range_max, i == 4 ? 4095 : 2047 + highs[i]) << names[i];
  }
  // Written to the servos (EEPROM), torque left off, multi-turn bit cleared.
  EXPECT_THAT(arm.Registers(Register::kHomingOffset), ElementsAre(-1047, 953, 1, -1547, 1453, 553));
  EXPECT_THAT(arm.Registers(Register::kMinPositionLimit), ElementsAre(1147, 847, 1047, 947, 0, 1447));
  EXPECT_THAT(arm.Registers(Register::kMaxPositionLimit), ElementsAre(3147, 3047, 3097, 3197, 4095, 2947));
  EXPECT_THAT(arm.Registers(Register::kTorqueEnable), ElementsAre(0, 0, 0, 0, 0, 0));
  EXPECT_EQ(arm.emu.ReadRegister(3, Register::kPhase), 0);
  EXPECT_TRUE(robot.IsCalibrated());
  // The middle pose reads 2047 now.
  EXPECT_THAT(arm.Registers(Register::kPresentPosition), ElementsAre(2047, 2047, 2047, 2047, 2047, 2047));
  // And round-trips through a file.
  TempDir dir;
  WriteCalibrationFile(dir.path / "c.json", cal);
  EXPECT_EQ(ReadCalibrationFile(dir.path / "c.json"), cal);
}

TEST(CalibrationProcedureTest, UnmovedJointsAndSeamCrossingsAreErrors) {
  Arm arm;
  So100Follower robot(arm.Config());
  robot.Connect();
  CalibrationCallbacks cb;
  cb.ask = [](const std::string&) { return std::string(); };
  cb.show = [](const std::string&) {};
  cb.sweep_finished = [](const SweepStatus&) { return true; };  // ENTER at once: nothing moved
  CalibrationOptions opt;
  opt.sample_period = std::chrono::milliseconds(0);
  try {
    robot.Calibrate(cb, opt);
    FAIL() << "calibrated unmoved joints";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("same min and max"));
    EXPECT_THAT(e.what(), HasSubstr("shoulder_pan, shoulder_lift, elbow_flex, wrist_flex, gripper"));
  }
  EXPECT_FALSE(robot.calibration().has_value());
  // shoulder_pan moved more than half a turn past the middle: its reading wraps from 4095 to 0.
  int calls = 0;
  cb.sweep_finished = [&](const SweepStatus&) {
    ++calls;
    arm.model->SetPosition(0, 2048 + 1000.0 * calls);
    return calls > 5;
  };
  try {
    robot.Calibrate(cb, opt);
    FAIL() << "seam crossing not detected";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("'shoulder_pan'"));
    EXPECT_THAT(e.what(), HasSubstr("seam"));
  }
  EXPECT_THAT(arm.Registers(Register::kTorqueEnable), ElementsAre(0, 0, 0, 0, 0, 0));
}

}  // namespace
}  // namespace s2r::hw
