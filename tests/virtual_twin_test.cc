// Tests of the MuJoCo twin behind `sim2real virtual-robot`: LeRobot's stack (FeetechBus + So100Follower
// with the calibration the virtual robot writes) talks to the twin through a real pseudo-terminal, the
// twin's camera is read through the real frame socket (`virtual:PATH`), and the scene is reset through it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "app/config_load.h"
#include "camera/frame_server.h"
#include "camera/open_camera.h"
#include "core/so100_layout.h"
#include "deploy/twin_motion_model.h"
#include "hw/calibration.h"
#include "hw/so100_follower.h"
#include "hw/virtual/servo_bus_emulator.h"
#include "media/image.h"
#include "render/camera.h"

namespace s2r::deploy {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr double kRadToDeg = 180.0 / so100::kPi;

JointMap LoadJointMap() { return app::LoadRobotConfig(app::DefaultRobotConfigPath("so100")).joint_map; }

struct TempDir {
  TempDir() {
    static std::atomic<int> n{0};
    path = fs::temp_directory_path() / ("s2r_twin_" + std::to_string(::getpid()) + "_" + std::to_string(n++));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  fs::path path;
};

void Sleep(double s) { std::this_thread::sleep_for(std::chrono::duration<double>(s)); }

double MeanAbsDiff(const media::Image& a, const media::Image& b) {
  EXPECT_EQ(a.pixels.size(), b.pixels.size());
  double sum = 0;
  for (size_t i = 0; i < a.pixels.size() && i < b.pixels.size(); ++i)
    sum += std::abs(a.pixels[i] - b.pixels[i]);
  return sum / static_cast<double>(std::max<size_t>(1, a.pixels.size()));
}

// Mean abs difference over a square window (clipped to the image) centred at (u, v).
double WindowDiff(const media::Image& a, const media::Image& b, double u, double v, int half) {
  double sum = 0;
  int n = 0;
  for (int r = std::max(0, static_cast<int>(v) - half); r < std::min(a.height, static_cast<int>(v) + half);
       ++r)
    for (int c = std::max(0, static_cast<int>(u) - half); c < std::min(a.width, static_cast<int>(u) + half);
         ++c)
      for (int k = 0; k < 3; ++k, ++n) sum += std::abs(a.at(r, c)[k] - b.at(r, c)[k]);
  return n ? sum / n : 0;
}

TEST(TwinCalibrationTest, DegreesNormalizationGivesTheJointMapsDegrees) {
  const JointMap map = LoadJointMap();
  const hw::Calibration cal = TwinCalibration(map);
  ASSERT_EQ(cal.size(), 6u);
  for (int j = 0; j < so100::kNumJoints; ++j) {
    const hw::MotorCalibration& m = cal.At(so100::kJointNames[j]);
    EXPECT_EQ(m.id, j + 1);
    EXPECT_EQ(m.homing_offset, 0);
    EXPECT_EQ(m.drive_mode, 0);
    EXPECT_EQ(m.range_min + m.range_max, 2 * kTwinMidTick) << "symmetric about 2048";
    EXPECT_GE(m.range_min, 0);
    EXPECT_LE(m.range_max, 4095);
    // The whole joint range (in ticks) lies inside the calibrated range (wrist_roll's +-pi to within a tick).
    for (double q : {so100::kJointLow[j], so100::kJointHigh[j]}) {
      const double t = TwinRadiansToTicks(map, j, q);
      EXPECT_GE(t, m.range_min - 1.0) << so100::kJointNames[j];
      EXPECT_LE(t, m.range_max + 1.0) << so100::kJointNames[j];
    }
    for (double q = so100::kJointLow[j]; q <= so100::kJointHigh[j]; q += 0.173) {
      const double ticks = TwinRadiansToTicks(map, j, q);
      const int raw = static_cast<int>(std::lround(ticks));
      // LeRobot DEGREES (for every joint, the gripper too) = the joint map's degrees, to half a tick.
      EXPECT_NEAR(hw::Normalize(m, hw::MotorNormMode::kDegrees, raw), map.ToDegrees(j, q),
                  0.5 * 360 / 4095.0);
      EXPECT_NEAR(TwinTicksToRadians(map, j, ticks), q, 1e-12);
    }
  }
  // The elbow's 6.8 deg offset: sim 0 rad reads 6.8 LeRobot degrees.
  EXPECT_NEAR(TwinRadiansToTicks(map, 2, 0.0), 2048 + 6.8 * 4095 / 360, 1e-9);
}

class TwinTest : public ::testing::Test {
 protected:
  void SetUp() override {
    map_ = LoadJointMap();
    TwinOptions opt;
    opt.joint_map = map_;
    opt.seed = 7;
    twin_ = std::make_shared<TwinMotionModel>(opt);
    hw::feetech::EmulatorOptions eo;
    for (int id = 1; id <= 6; ++id) eo.servos.push_back({.id = id});
    eo.link_path = (dir_.path / "so100").string();
    eo.motion = twin_;
    emulator_ = std::make_unique<hw::feetech::ServoBusEmulator>(eo);
    twin_->AttachEmulator(emulator_.get());
    ApplyCalibration(*emulator_, twin_->calibration());
    // What `virtual-robot --write-calibration twin --calibration-dir DIR` writes; the host loads it by id.
    hw::WriteCalibrationFile(hw::FollowerCalibrationPath("twin", dir_.path), twin_->calibration());
  }

  std::unique_ptr<hw::So100Follower> MakeFollower() {
    hw::So100FollowerConfig cfg;
    cfg.port = emulator_->port();
    cfg.id = "twin";
    cfg.gripper_norm_mode = hw::MotorNormMode::kDegrees;  // ManiSkill's real agent
    cfg.max_relative_target = std::nullopt;
    const hw::LoadedCalibration cal = hw::LoadFollowerCalibration("twin", dir_.path);
    return std::make_unique<hw::So100Follower>(cfg, cal.calibration);
  }

  std::array<double, 6> RestDegrees() const {
    std::array<double, 6> d{};
    for (int j = 0; j < 6; ++j) d[j] = map_.ToDegrees(j, so100::kRestQpos[j]);
    return d;
  }

  void TearDown() override { twin_->DetachEmulator(); }

  TempDir dir_;
  JointMap map_;
  std::shared_ptr<TwinMotionModel> twin_;
  std::unique_ptr<hw::feetech::ServoBusEmulator> emulator_;
};

TEST_F(TwinTest, ConnectConfigureAndReadTheRestPoseInDegrees) {
  Sleep(0.3);  // the physics runs meanwhile; an unpowered-by-host arm rests as placed
  for (int j = 0; j < 6; ++j)
    EXPECT_NEAR(twin_->qpos()[j], so100::kRestQpos[j], 0.01) << so100::kJointNames[j];
  EXPECT_GT(twin_->sim_time(), 0.1) << "the physics thread steps in real time";
  auto follower = MakeFollower();
  follower->Connect();
  follower->Configure();
  EXPECT_TRUE(follower->IsCalibrated()) << "the servos hold the written calibration";
  for (int j = 0; j < 6; ++j) EXPECT_TRUE(twin_->torque_enabled(j));
  const hw::JointValues pos = follower->ReadPositions();
  const auto rest = RestDegrees();
  for (int j = 0; j < 6; ++j) EXPECT_NEAR(pos[j], rest[j], 0.5) << so100::kJointNames[j];
  EXPECT_NEAR(pos[2], 6.8, 0.5) << "elbow_flex at sim 0 reads the joint map's offset";
  EXPECT_NEAR(pos[3], 90.0, 0.5);
}

TEST_F(TwinTest, GoalWithTorqueOnIsReachedInTheSimulation) {
  auto follower = MakeFollower();
  follower->Connect();
  follower->Configure();
  hw::JointValues goal = RestDegrees();
  const double delta[6] = {20, -10, -10, -20, 30, 20};
  for (int j = 0; j < 6; ++j) goal[j] += delta[j];
  follower->SendGoal(goal);
  const auto t0 = std::chrono::steady_clock::now();
  bool reached = false;
  while (!reached && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5)) {
    Sleep(0.02);
    reached = true;
    const auto q = twin_->qpos();
    for (int j = 0; j < 6; ++j) reached = reached && std::abs(q[j] - map_.ToRadians(j, goal[j])) < 0.01;
  }
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const auto q = twin_->qpos();
  for (int j = 0; j < 6; ++j)
    EXPECT_NEAR(q[j], map_.ToRadians(j, goal[j]), 0.01) << so100::kJointNames[j] << " after " << took << " s";
  EXPECT_TRUE(reached);
  const hw::JointValues pos = follower->ReadPositions();
  for (int j = 0; j < 6; ++j) EXPECT_NEAR(pos[j], goal[j], 1.0) << so100::kJointNames[j];
}

TEST_F(TwinTest, TorqueOffLetsTheArmSagAndStopsTrackingGoals) {
  auto follower = MakeFollower();
  follower->Connect();
  follower->Configure();
  Sleep(0.2);
  const auto before = twin_->qpos();
  follower->TorqueOff();
  for (int j = 0; j < 6; ++j) EXPECT_FALSE(twin_->torque_enabled(j));
  hw::JointValues goal = follower->ReadPositions();
  goal[0] += 25;  // shoulder_pan: a vertical axis, so gravity does not move it
  follower->SendGoal(goal);
  Sleep(1.5);
  const auto after = twin_->qpos();
  const double lift_sag = (after[1] - before[1]) * kRadToDeg;
  const double elbow_sag = (after[2] - before[2]) * kRadToDeg;
  EXPECT_GT(std::abs(lift_sag) + std::abs(elbow_sag), 5.0)
      << "shoulder_lift moved " << lift_sag << " deg, elbow_flex " << elbow_sag << " deg";
  EXPECT_GT(lift_sag, 3.0) << "the forearm's weight tips the upper arm forward";
  EXPECT_GT(std::abs(map_.ToRadians(0, goal[0]) - after[0]) * kRadToDeg, 15.0) << "no goal tracking";
  // The host reads the sagged pose too.
  const hw::JointValues pos = follower->ReadPositions();
  EXPECT_NEAR(pos[1], map_.ToDegrees(1, twin_->qpos()[1]), 1.0);
  // Torque on again holds it where it is now (TorqueOn sets goal = present first).
  follower->TorqueOn();
  Sleep(0.3);
  const auto held = twin_->qpos();
  Sleep(0.5);
  EXPECT_NEAR(twin_->qpos()[1], held[1], 0.01);
}

TEST_F(TwinTest, AStalledJointReportsOverloadInTheErrorByte) {
  auto follower = MakeFollower();
  follower->Connect();
  follower->Configure();
  Sleep(0.3);
  follower->ReadPositions();
  for (uint8_t e : follower->last_servo_errors()) EXPECT_EQ(e, 0) << "no error while holding the rest pose";
  // Drive the arm down into the table: shoulder_lift's goal lies past where the gripper meets the table
  // top, so that servo pushes at its torque limit without moving (a stall).
  const hw::JointValues rest = follower->ReadPositions();
  hw::JointValues goal = rest;
  goal[1] += 75;
  for (int k = 0; k < 20; ++k) {  // max_relative_target: walk there in capped steps
    follower->SendGoal(goal);
    Sleep(0.05);
  }
  Sleep(1.0);
  follower->ReadPositions();
  const auto& err = follower->last_servo_errors();
  ASSERT_EQ(err.size(), 6u);
  EXPECT_TRUE(err[1] & hw::feetech::kErrOverload) << "shoulder_lift ERR byte " << int(err[1]);
  EXPECT_EQ(err[0] & hw::feetech::kErrOverload, 0) << "shoulder_pan only holds";
  // Released, the bit clears.
  goal = rest;
  for (int k = 0; k < 20; ++k) {
    follower->SendGoal(goal);
    Sleep(0.05);
  }
  follower->ReadPositions();
  EXPECT_EQ(follower->last_servo_errors()[1] & hw::feetech::kErrOverload, 0);
}

TEST_F(TwinTest, VirtualCameraMatchesTheSimsOwnSensorRender) {
  TwinCameraServer server(twin_, {.socket_path = (dir_.path / "cam.sock").string()});
  EXPECT_GE(server.frames_set(), 1u);
  Sleep(0.3);
  twin_->SetPaused(true);  // freeze the state so both renders see the same one
  Sleep(0.05);
  server.RenderNow();
  camera::CameraOptions co;
  auto cam = camera::OpenCamera("virtual:" + server.path(), co);
  const camera::Frame frame = cam->Read();
  ASSERT_EQ(frame.image.width, 640);
  ASSERT_EQ(frame.image.height, 480);
  const media::Image obs = media::CropAndResize(frame.image, 128, 128);
  const media::Image sim = twin_->RenderSensor();
  ASSERT_EQ(sim.width, 128);
  ASSERT_EQ(sim.height, 128);
  const double mad = MeanAbsDiff(obs, sim);
  EXPECT_LT(mad, 2.0) << "mean abs diff per channel, 0..255";
  // Not trivially true: the picture has structure (table, arm, cube), far from one flat colour...
  double mean = 0, var = 0;
  for (uint8_t v : sim.pixels) mean += v;
  mean /= sim.pixels.size();
  for (uint8_t v : sim.pixels) var += (v - mean) * (v - mean);
  EXPECT_GT(std::sqrt(var / sim.pixels.size()), 20.0);
  // ... and a picture of the scene seen from a little to the side already differs by more.
  const media::Image shifted = media::Crop(frame.image, 72, 0, 480, 480);  // 8 px right of centre
  EXPECT_GT(MeanAbsDiff(media::ResizeBilinear(shifted, 128, 128), sim), 2.0);
  twin_->SetPaused(false);
}

TEST_F(TwinTest, PlaceObjectThroughTheFrameSocketMovesTheCubeAndThePicture) {
  TwinCameraServer server(twin_, {.socket_path = (dir_.path / "cam.sock").string()});
  Sleep(0.3);
  const auto old_pos = twin_->cube_pos();
  server.RenderNow();
  camera::CameraOptions co;
  auto cam = camera::OpenCamera("virtual:" + server.path(), co);
  const media::Image before = cam->Read().image;

  const double x = old_pos[0] > 0.3 ? 0.22 : 0.38, y = old_pos[1] > 0.05 ? -0.1 : 0.18, yaw = 0.4;
  // Physics paused while the placement is read back: otherwise the cube may already have settled a
  // fraction of a millimetre into the soft contact (it did, once, on a loaded machine).
  twin_->SetPaused(true);
  camera::PlaceObjectVirtual(server.path(), x, y, yaw);
  auto p = twin_->cube_pos();
  EXPECT_NEAR(p[0], x, 1e-9);
  EXPECT_NEAR(p[1], y, 1e-9);
  EXPECT_NEAR(p[2], twin_->cube_half_size(), 1e-9) << "resting on the table top (z = 0)";
  EXPECT_NEAR(twin_->cube_yaw(), yaw, 1e-9);
  twin_->SetPaused(false);
  Sleep(0.5);  // it stays put under physics
  p = twin_->cube_pos();
  EXPECT_NEAR(p[0], x, 2e-3);
  EXPECT_NEAR(p[1], y, 2e-3);
  EXPECT_NEAR(p[2], twin_->cube_half_size(), 2e-3);

  const uint64_t seq = server.frames_set();
  const media::Image after = cam->Read().image;
  ASSERT_GT(server.frames_set(), seq) << "a read of an old frame renders a fresh one";
  // Where the cube was and where it is now, in the 640x480 picture.
  const render::CameraFrame cf = render::MakeCameraFrame(twin_->camera_pose());
  const render::Intrinsics k = render::MakeIntrinsics(640, 480, twin_->camera_pose().fovy);
  double u_new, v_new, u_old, v_old, depth;
  ASSERT_TRUE(render::ProjectPoint(cf, k, {x, y, twin_->cube_half_size()}, &u_new, &v_new, &depth));
  ASSERT_TRUE(render::ProjectPoint(cf, k, old_pos, &u_old, &v_old, &depth));
  ASSERT_TRUE(u_new > 0 && u_new < 640 && v_new > 0 && v_new < 480) << u_new << ", " << v_new;
  const double at_new = WindowDiff(before, after, u_new, v_new, 6);
  const double at_old = WindowDiff(before, after, u_old, v_old, 6);
  const double whole = MeanAbsDiff(before, after);
  EXPECT_GT(at_new, 20.0) << "the cube appears at its new place";
  EXPECT_GT(at_old, 20.0) << "and is gone from the old one";
  EXPECT_LT(whole, 3.0) << "the rest of the picture stays";

  // Rejected placements come back with the reason; the cube does not move.
  try {
    camera::PlaceObjectVirtual(server.path(), 5.0, 0.0, 0.0);
    ADD_FAILURE() << "a placement off the table was accepted";
  } catch (const camera::CameraError& e) {
    EXPECT_THAT(e.what(), HasSubstr("off the table"));
  }
  EXPECT_NEAR(twin_->cube_pos()[0], x, 2e-3);
  EXPECT_THROW(camera::PlaceObjectVirtual(server.path(), NAN, 0.0, 0.0), std::invalid_argument);
}

TEST(FrameServerSceneTest, AServerWithoutSceneControlSaysSo) {
  TempDir dir;
  const std::string path = (dir.path / "plain.sock").string();
  camera::FrameServer server(path);
  try {
    camera::PlaceObjectVirtual(path, 0.3, 0.0, 0.0, 1.0);
    ADD_FAILURE() << "no handler, yet the placement was acknowledged";
  } catch (const camera::CameraError& e) {
    EXPECT_THAT(e.what(), HasSubstr("no scene control"));
  }
  double got[3] = {0, 0, 0};
  server.SetPlaceObjectHandler([&](double x, double y, double yaw) {
    got[0] = x;
    got[1] = y;
    got[2] = yaw;
  });
  camera::PlaceObjectVirtual(path, 0.25, -0.5, 1.5, 1.0);
  EXPECT_EQ(got[0], 0.25);
  EXPECT_EQ(got[1], -0.5);
  EXPECT_EQ(got[2], 1.5);
  // Frames still work on the same server after scene commands.
  server.SetFrame(media::Image(4, 2, 3, 9));
  camera::CameraOptions co;
  auto cam = camera::OpenCamera("virtual:" + path, co);
  EXPECT_EQ(cam->Read().image.width, 4);
  // No server at all: bounded failure naming the socket.
  EXPECT_THROW(camera::PlaceObjectVirtual((dir.path / "none.sock").string(), 0.3, 0, 0, 0.2),
               camera::CameraError);
}

}  // namespace
}  // namespace s2r::deploy
