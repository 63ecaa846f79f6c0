// `sim2real virtual-robot`: a stand-in for the real SO-100 arm, its camera and its scene, driven by the
// MuJoCo twin (deploy/twin_motion_model.h): six emulated STS3215 servos on a pseudo-terminal speaking the
// real protocol, whose motion is the twin's physics; optionally the twin's base camera on a frame socket
// (`virtual:PATH`, 640x480, rendered on request up to 30 Hz, no greenscreen: it is "the real world") with
// scene control (placing the cube, in place of the human who resets the scene); and the LeRobot calibration
// file that matches the virtual servos, so `eval --real` finds it by id. `--robot jetbot`: the virtual
// Jetbot (app/virtual_jetbot.h).
#include <sys/stat.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "app/cli_util.h"
#include "app/commands.h"
#include "app/config_load.h"
#include "app/virtual_jetbot.h"  // RunVirtualJetbot is built with libfuse3 only (S2R_WITH_VIRTUAL_I2C)
#include "core/error.h"
#include "deploy/twin_motion_model.h"
#include "hw/calibration.h"
#include "hw/virtual/servo_bus_emulator.h"

namespace s2r::app {

namespace {

volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

struct VirtualRobotFlags {
  std::string robot = "so100";
  std::string port_link = "/tmp/sim2real_so100";
  std::vector<int> ids = {1, 2, 3, 4, 5, 6};
  double duration = 0;      // s; 0: until Ctrl+C
  std::string camera_link;  // frame socket; empty: no camera
  std::string env_kwargs_json_path;
  std::string write_calibration;  // calibration id; empty: none written
  std::string calibration_dir;
  bool overwrite = false;
  bool realistic_timing = false;
  uint64_t seed = 0;
  bool json = false;
};

// Detaches the twin from the emulator before the emulator goes (declared after both).
struct DetachGuard {
  deploy::TwinMotionModel* twin;
  ~DetachGuard() { twin->DetachEmulator(); }
};

// A link that points at an open terminal belongs to a running virtual robot (a pseudo-terminal's slave
// exists only while its master is open) or to a real device: never taken over. A dangling link (a robot that
// died) is replaced by the emulator.
void RequireFreePortLink(const std::string& link) {
  struct stat lst {
  }, st{};
  if (::lstat(link.c_str(), &lst) != 0 || !S_ISLNK(lst.st_mode)) return;
  if (::stat(link.c_str(), &st) == 0 && S_ISCHR(st.st_mode)) {
    std::error_code ec;
    const auto target = std::filesystem::read_symlink(link, ec);
    throw ConfigError(
        "--port-link " + link + ": already links to " + target.string() +
        ", a terminal that is open (another virtual robot serving it?); stop that one or choose "
        "another --port-link");
  }
}

void RunVirtualRobot(const VirtualRobotFlags& f) {
  RequireFreePortLink(f.port_link);
  g_stop = 0;
  if (f.robot != "so100" && f.robot != "so101")
    throw ConfigError("--robot: unknown robot '" + f.robot + "'; expected so100, so101 or jetbot");
  if (f.ids.empty()) throw ConfigError("--ids: at least one servo id is needed");
  if (!f.calibration_dir.empty() && f.write_calibration.empty())
    throw ConfigError("--calibration-dir: only used with --write-calibration ID");

  // The twin models the SO-100 (its MJCF and joint map); an so101 stands in with the same twin.
  deploy::TwinOptions topt;
  topt.env_config =
      f.env_kwargs_json_path.empty() ? sim::GraspCubeConfig{} : LoadGraspCubeConfig(f.env_kwargs_json_path);
  topt.joint_map = LoadRobotConfig(DefaultRobotConfigPath("so100")).joint_map;
  topt.seed = f.seed;
  auto twin = std::make_shared<deploy::TwinMotionModel>(topt);
  const hw::Calibration calibration = twin->calibration();

  std::optional<std::filesystem::path> calibration_path;
  if (!f.write_calibration.empty()) {
    const std::optional<std::filesystem::path> dir =
        f.calibration_dir.empty() ? std::nullopt : std::optional<std::filesystem::path>(f.calibration_dir);
    calibration_path = hw::FollowerCalibrationPath(f.write_calibration, dir);
    // A calibration file is a user's work (a real arm's, perhaps): never replaced unless asked, and then
    // kept as .bak. The same calibration already there is left as it is.
    std::error_code ec;
    if (std::filesystem::exists(*calibration_path, ec)) {
      bool same = false;
      try {
        same = hw::ReadCalibrationFile(*calibration_path) == calibration;
      } catch (const ConfigError&) {
      }
      if (!same && !f.overwrite)
        throw ConfigError(
            "--write-calibration " + f.write_calibration + ": " + calibration_path->string() +
            " already holds another calibration; pass --overwrite to replace it (a copy is kept "
            "as .bak) or choose another id or --calibration-dir");
      if (!same) {
        std::filesystem::copy_file(*calibration_path, calibration_path->string() + ".bak",
                                   std::filesystem::copy_options::overwrite_existing);
        hw::WriteCalibrationFile(*calibration_path, calibration);
      }
    } else {
      hw::WriteCalibrationFile(*calibration_path, calibration);
    }
  }

  hw::feetech::EmulatorOptions opt;
  opt.link_path = f.port_link;
  opt.realistic_timing = f.realistic_timing;
  opt.motion = twin;
  for (int id : f.ids) {
    hw::feetech::EmulatedServo s;
    s.id = id;
    opt.servos.push_back(s);
  }
  hw::feetech::ServoBusEmulator emulator(opt);
  deploy::ApplyCalibration(emulator, calibration);  // a calibrated arm holds its calibration in EEPROM
  twin->AttachEmulator(&emulator);
  DetachGuard detach{twin.get()};

  std::unique_ptr<deploy::TwinCameraServer> camera;
  if (!f.camera_link.empty()) {
    deploy::TwinCameraOptions co;
    co.socket_path = f.camera_link;
    camera = std::make_unique<deploy::TwinCameraServer>(twin, co);
  }

  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  if (f.json) {
    nlohmann::json out;
    out["robot"] = f.robot;
    out["port"] = emulator.port();
    out["pty"] = emulator.slave_path();
    out["ids"] = f.ids;
    out["baud"] = 1000000;
    out["camera_link"] = camera ? nlohmann::json(camera->path()) : nlohmann::json(nullptr);
    out["camera"] = camera ? nlohmann::json("virtual:" + camera->path()) : nlohmann::json(nullptr);
    out["camera_width"] = 640;
    out["camera_height"] = 480;
    out["calibration_id"] =
        f.write_calibration.empty() ? nlohmann::json(nullptr) : nlohmann::json(f.write_calibration);
    out["calibration_path"] =
        calibration_path ? nlohmann::json(calibration_path->string()) : nlohmann::json(nullptr);
    std::printf("%s\n", out.dump().c_str());
  } else {
    std::printf("virtual %s (MuJoCo twin): %zu STS3215 servos on %s (ids", f.robot.c_str(), f.ids.size(),
                emulator.port().c_str());
    for (int id : f.ids) std::printf(" %d", id);
    std::printf(", 1 Mbps)\n");
    if (camera)
      std::printf("camera: virtual:%s (640x480, rendered on request up to 30 Hz; scene control on)\n",
                  camera->path().c_str());
    if (calibration_path) std::printf("calibration: %s\n", calibration_path->string().c_str());
    std::printf("Ctrl+C stops\n");
  }
  std::fflush(stdout);
  const auto start = std::chrono::steady_clock::now();
  while (!g_stop) {
    if (f.duration > 0 &&
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() >= f.duration)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  // Destructors clean up: the camera removes its socket, the emulator its link.
}

}  // namespace

void AddVirtualRobotCommand(CLI::App& app) {
  static VirtualRobotFlags f;
  static VirtualJetbotFlags jb;
  auto* cmd = app.add_subcommand(
      "virtual-robot",
      "Stand in for the real arm, camera and scene: emulated servos on a pseudo-terminal (the real Feetech "
      "protocol) moved by the MuJoCo twin, its camera on a frame socket; --robot jetbot: the Jetbot's motor "
      "board as a FUSE i2c-dev file");
  cmd->add_option("--robot", f.robot, "so100 or so101 (both use the SO-100 twin), or jetbot")
      ->capture_default_str();
  cmd->add_option("--port-link", f.port_link, "path of the link to the pseudo-terminal")
      ->capture_default_str();
  cmd->add_option("--ids", f.ids, "servo ids (servo i moves joint i of the arm)")->capture_default_str();
  cmd->add_option("--duration", f.duration, "stop after this many seconds (0: run until Ctrl+C)");
  cmd->add_option("--camera-link", f.camera_link,
                  "serve the twin's base camera (640x480, rendered on request up to 30 Hz) on a frame socket "
                  "at this path "
                  "(open it as virtual:PATH); also takes scene commands (jetbot: the chassis camera at "
                  "--camera-width x --camera-height)");
  cmd->add_option("--env-kwargs-json-path", f.env_kwargs_json_path,
                  "env_config.json of the scene (camera pose, spawn box, ...); default: built-in");
  cmd->add_option("--write-calibration", f.write_calibration,
                  "write the LeRobot calibration file of the virtual servos under this robot id");
  cmd->add_flag(
      "--overwrite", f.overwrite,
      "with --write-calibration: replace a different calibration already in that file (kept as .bak)");
  cmd->add_option("--calibration-dir", f.calibration_dir,
                  "folder for --write-calibration (default: LeRobot's calibration folder)");
  cmd->add_flag("--realistic-timing", f.realistic_timing,
                "delay replies by Return_Delay_Time plus their wire time, as real servos");
  cmd->add_option("--seed", f.seed, "seed of the twin's load-time draws (cube size, colour and spawn)")
      ->capture_default_str();
  cmd->add_flag("--json", f.json,
                "print the port, camera and calibration as one JSON line (jetbot: the odometry at exit)");
  const std::string gj = "Jetbot (--robot jetbot)";
  // The flags only one robot has: refused with the other, not ignored.
  static std::vector<CLI::Option*> jetbot_only, so100_only;
  jetbot_only = {
      cmd->add_option(
             "--i2c-link", jb.i2c_link,
             "the file to present as the motor board's i2c-dev device (FUSE; needs root and /dev/fuse)")
          ->group(gj),
      cmd->add_option("--camera-width", jb.camera_width, "camera frame width, pixels")
          ->capture_default_str()
          ->group(gj),
      cmd->add_option("--camera-height", jb.camera_height, "camera frame height, pixels")
          ->capture_default_str()
          ->group(gj),
      cmd->add_option("--board", jb.board, "adafruit (MotorHAT) or waveshare (JetBot board) pin map")
          ->capture_default_str()
          ->group(gj),
      cmd->add_option("--address", jb.address, "the virtual PCA9685's 7-bit address")
          ->capture_default_str()
          ->group(gj)};
  for (const char* name : {"--port-link", "--ids", "--write-calibration", "--overwrite", "--calibration-dir",
                           "--realistic-timing"})
    so100_only.push_back(cmd->get_option(name));
  cmd->callback([] {
    if (f.robot == "jetbot") {
      RefuseGiven(so100_only, "an SO-100 flag, not used by --robot jetbot");
      jb.camera_link = f.camera_link;
      jb.env_kwargs_json_path = f.env_kwargs_json_path;
      jb.duration = f.duration;
      jb.seed = f.seed;
      jb.json = f.json;
#ifdef S2R_WITH_VIRTUAL_I2C
      RunVirtualJetbot(jb);
      return;
#else
      throw ConfigError(
          "--robot jetbot: this build has no libfuse3 (libfuse3-dev), which the virtual Jetbot's "
          "i2c device needs; install it and build again");
#endif
    }
    RefuseGiven(jetbot_only, "a Jetbot flag; pass --robot jetbot");
    RunVirtualRobot(f);
  });
}

}  // namespace s2r::app
