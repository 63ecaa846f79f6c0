// `sim2real virtual-robot`: six emulated STS3215 servos on a pseudo-terminal, speaking the real protocol,
// so the real-robot tools run without an arm.
#include <chrono>
#include <csignal>
#include <cstdio>
#include <memory>
#include <thread>
#include <vector>

#include "app/commands.h"
#include "core/error.h"
#include "hw/virtual/servo_bus_emulator.h"

namespace s2r::app {

namespace {

volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

struct VirtualRobotFlags {
  std::string robot = "so100";
  std::string port_link = "/tmp/sim2real_so100";
  std::vector<int> ids = {1, 2, 3, 4, 5, 6};
  double duration = 0;  // s; 0: until Ctrl+C
};

void RunVirtualRobot(const VirtualRobotFlags& f) {
  if (f.robot != "so100" && f.robot != "so101")
    throw ConfigError("--robot: unknown robot '" + f.robot + "'; expected so100 or so101");
  hw::feetech::EmulatorOptions opt;
  opt.link_path = f.port_link;
  for (int id : f.ids) {
    hw::feetech::EmulatedServo s;
    s.id = id;
    opt.servos.push_back(s);
  }
  hw::feetech::ServoBusEmulator emulator(opt);
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  std::printf("virtual %s: %zu STS3215 servos on %s (ids", f.robot.c_str(), f.ids.size(),
              emulator.port().c_str());
  for (int id : f.ids) std::printf(" %d", id);
  std::printf(", 1 Mbps); Ctrl+C stops\n");
  std::fflush(stdout);
  const auto start = std::chrono::steady_clock::now();
  while (!g_stop) {
    if (f.duration > 0 &&
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() >= f.duration)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace

void AddVirtualRobotCommand(CLI::App& app) {
  static VirtualRobotFlags f;
  auto* cmd = app.add_subcommand(
      "virtual-robot",
      "Emulate the arm's servos on a pseudo-terminal (the real Feetech protocol, no hardware)");
  cmd->add_option("--robot", f.robot, "so100 or so101")->capture_default_str();
  cmd->add_option("--port-link", f.port_link, "path of the link to the pseudo-terminal")
      ->capture_default_str();
  cmd->add_option("--ids", f.ids, "servo ids")->capture_default_str();
  cmd->add_option("--duration", f.duration, "stop after this many seconds (0: run until Ctrl+C)");
  cmd->callback([] { RunVirtualRobot(f); });
}

}  // namespace s2r::app
