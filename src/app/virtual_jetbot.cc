#include "app/virtual_jetbot.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "app/config_load.h"
#include "camera/frame_server.h"
#include "core/error.h"
#include "deploy/jetbot_twin.h"
#include "hw/i2c_dev.h"
#include "hw/jetbot_motors.h"
#include "hw/virtual/pca9685_fuse.h"

namespace s2r::app {

namespace {

volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

constexpr auto kTick = std::chrono::milliseconds(5);  // how often the decoded duties reach the twin
constexpr double kCameraFps = 30;                     // the most frames rendered per second (on request)

sim::JetbotConfig SceneConfig(const VirtualJetbotFlags& f) {
  sim::JetbotConfig c = deploy::DefaultJetbotTwinConfig();
  if (!f.env_kwargs_json_path.empty()) {
    const auto loaded = LoadEnvConfigOf(sim::kJetbotGoalId, f.env_kwargs_json_path);
    c = dynamic_cast<const sim::JetbotConfig&>(*loaded);
    // One fixed "real world": no draws at load and none of the start pose, whatever the file says.
    c.domain_randomization = false;
    c.robot_pose_noise = {};
  }
  return c;
}

nlohmann::json MotorJson(const hw::MotorOutput& m) {
  return {{"value", m.value}, {"duty", m.duty}, {"released", m.released}};
}

}  // namespace

void RunVirtualJetbot(const VirtualJetbotFlags& f) {
  g_stop = 0;
  if (f.i2c_link.empty())
    throw ConfigError("--i2c-link: required with --robot jetbot (the FUSE i2c-dev file)");
  if (f.camera_width <= 0 || f.camera_height <= 0 || f.camera_width > 4096 || f.camera_height > 4096)
    throw ConfigError("--camera-width/--camera-height: expected 1..4096 pixels, got " +
                      std::to_string(f.camera_width) + "x" + std::to_string(f.camera_height));
  if (!(f.duration >= 0)) throw ConfigError("--duration: expected >= 0 s (0: until Ctrl+C)");
  hw::VirtualPca9685Options po;
  po.board = hw::ParseMotorBoard(f.board, "--board");
  po.address = hw::ParseI2cAddress(f.address, "--address");
  po.left_motor = 1, po.right_motor = 2;  // jetbot's left/right channels

  deploy::JetbotTwinOptions to;
  to.env_config = SceneConfig(f);
  to.seed = f.seed;
  deploy::JetbotTwin twin(to);

  // The motor board first, then the camera: a camera socket there means the i2c file is mounted too.
  hw::Pca9685FuseDevice device(f.i2c_link, po);
  std::unique_ptr<render::BatchRenderer> renderer;
  std::unique_ptr<camera::FrameServer> camera;
  if (!f.camera_link.empty()) {
    renderer = twin.MakeRenderer(f.camera_width, f.camera_height);
    camera = std::make_unique<camera::FrameServer>(f.camera_link);
    camera->SetFrame(twin.Render(*renderer));  // a frame before anyone can ask
    camera->SetFrameSource([&] { return twin.Render(*renderer); }, 1.0 / kCameraFps);
  }

  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  if (!f.json) {
    std::printf("virtual jetbot (MuJoCo twin): PCA9685 at %s on %s (%s board; open it as the i2c device)\n",
                hw::HexAddress(po.address).c_str(), device.path().c_str(),
                hw::MotorBoardName(po.board).c_str());
    if (camera)
      std::printf("camera: virtual:%s (%dx%d, rendered on request up to %.0f Hz)\n", camera->path().c_str(),
                  f.camera_width, f.camera_height, kCameraFps);
    std::printf("Ctrl+C stops\n");
    std::fflush(stdout);
  }
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  while (!g_stop) {
    const double t = std::chrono::duration<double>(Clock::now() - start).count();
    if (f.duration > 0 && t >= f.duration) break;
    twin.SetDuties(device.left().value, device.right().value);
    twin.AdvanceTo(t);
    std::this_thread::sleep_for(kTick);
  }
  const double ran_s = std::chrono::duration<double>(Clock::now() - start).count();
  if (camera) camera->SetFrameSource({}, 0);  // no render into a twin that is going away

  const deploy::JetbotOdometry odo = twin.odometry();
  double max_left = 0, max_right = 0;
  for (const hw::MotorSample& s : device.history()) {
    max_left = std::max(max_left, std::abs(s.left.value));
    max_right = std::max(max_right, std::abs(s.right.value));
  }
  const hw::MotorOutput left = device.left(), right = device.right();
  const nlohmann::json out = {
      {"robot", "jetbot"},
      {"i2c_link", device.path()},
      {"address", hw::HexAddress(po.address)},
      {"board", hw::MotorBoardName(po.board)},
      {"camera", camera ? nlohmann::json("virtual:" + camera->path()) : nlohmann::json(nullptr)},
      {"seconds", ran_s},
      {"sim_time_s", twin.sim_time()},
      {"skipped_s", twin.skipped_s()},
      {"odometry", {{"x", odo.x}, {"y", odo.y}, {"yaw", odo.yaw}}},
      {"distance", odo.distance},
      {"motors", {{"left", MotorJson(left)}, {"right", MotorJson(right)}}},
      {"released", left.released && right.released},
      {"max_abs_value", {{"left", max_left}, {"right", max_right}}},
      {"transactions", device.transactions()},
      {"nacks", device.nacks()},
      {"physics_resets", twin.physics_resets()}};
  camera.reset();
  device.Stop();
  if (f.json) {
    std::printf("%s\n", out.dump().c_str());
  } else {
    std::printf("odometry: x %.3f m, y %.3f m, yaw %.3f rad; distance %.3f m in %.1f s; motors %s\n", odo.x,
                odo.y, odo.yaw, odo.distance, ran_s, left.released && right.released ? "released" : "driven");
  }
  std::fflush(stdout);
}

}  // namespace s2r::app
