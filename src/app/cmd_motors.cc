// `sim2real motors scan|read|setup-id`: the Feetech bus from the command line (LeRobot's motor tools);
// `sim2real motors drive --robot jetbot`: the Jetbot's wheel motors on a PCA9685 over i2c-dev.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>
#include <vector>

#include "app/commands.h"
#include "core/error.h"
#include "core/progress.h"
#include "core/stop_signal.h"
#include "hw/feetech/bus.h"
#include "hw/feetech/control_table.h"
#include "hw/i2c_dev.h"
#include "hw/jetbot_motors.h"

namespace s2r::app {

namespace {

using hw::feetech::FeetechBus;
using hw::feetech::Register;

struct MotorsFlags {
  std::string port;
  std::vector<int> ids = {1, 2, 3, 4, 5, 6};
  std::vector<int> bauds;  // empty: every rate LeRobot scans
  int baud = hw::feetech::kDefaultBaud;
  int id = 0;
  double broadcast_wait_ms = 0;  // 0: LeRobot's wait
  bool json = false;
};

hw::feetech::BusOptions Options(const MotorsFlags& f) {
  hw::feetech::BusOptions o;
  if (f.broadcast_wait_ms > 0) o.broadcast_wait_ms = f.broadcast_wait_ms;
  return o;
}

std::map<int, std::map<int, int>> ScanPort(const MotorsFlags& f) {
  const std::vector<int> bauds =
      f.bauds.empty() ? std::vector<int>(hw::feetech::kScanBauds.begin(), hw::feetech::kScanBauds.end())
                      : f.bauds;
  // One rate at a time, for the progress bar (a scan of every rate takes seconds).
  std::map<int, std::map<int, int>> found;
  ProgressBar bar(static_cast<int64_t>(bauds.size()), "motors scan", "bauds");
  int64_t done = 0;
  for (int baud : bauds) {
    for (auto& [b, ids] : FeetechBus::Scan(f.port, std::span<const int>(&baud, 1), Options(f)))
      found[b] = std::move(ids);
    bar.Update(++done, std::to_string(baud) + " bps");
  }
  bar.Finish();
  return found;
}

void RunScan(const MotorsFlags& f) {
  const auto found = ScanPort(f);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [baud, ids] : found) {
    FeetechBus bus(f.port, baud, Options(f));
    for (const auto& [id, model] : ids) {
      int major = -1, minor = -1;
      try {
        major = bus.Read(id, Register::kFirmwareMajor, 2);
        minor = bus.Read(id, Register::kFirmwareMinor, 2);
      } catch (const IoError&) {
      }
      out.push_back({{"id", id},
                     {"model", model},
                     {"firmware", std::to_string(major) + "." + std::to_string(minor)},
                     {"baud", baud}});
    }
  }
  if (f.json) {
    std::cout << nlohmann::json({{"port", f.port}, {"motors", out}}).dump() << "\n";
    return;
  }
  if (out.empty()) std::printf("no motor answered on %s\n", f.port.c_str());
  for (const auto& m : out)
    std::printf("id %3d  model %d  firmware %s  baud %d\n", m["id"].get<int>(), m["model"].get<int>(),
                m["firmware"].get<std::string>().c_str(), m["baud"].get<int>());
}

void RunRead(const MotorsFlags& f) {
  FeetechBus bus(f.port, f.baud, Options(f));
  const std::pair<const char*, Register> regs[] = {{"position", Register::kPresentPosition},
                                                   {"velocity", Register::kPresentVelocity},
                                                   {"load", Register::kPresentLoad},
                                                   {"voltage", Register::kPresentVoltage},
                                                   {"temperature", Register::kPresentTemperature},
                                                   {"current", Register::kPresentCurrent}};
  nlohmann::json out = nlohmann::json::array();
  std::map<int, nlohmann::json> rows;
  for (int id : f.ids) rows[id] = {{"id", id}};
  for (const auto& [name, reg] : regs) {
    const std::vector<int> v = bus.SyncRead(reg, f.ids, 2);
    for (size_t i = 0; i < f.ids.size(); ++i) rows[f.ids[i]][name] = v[i];
  }
  for (int id : f.ids) out.push_back(rows[id]);
  if (f.json) {
    std::cout << nlohmann::json({{"port", f.port}, {"baud", f.baud}, {"motors", out}}).dump() << "\n";
    return;
  }
  std::printf("  id  position  velocity  load  voltage(0.1V)  temperature(C)  current\n");
  for (const auto& m : out)
    std::printf("%4d  %8d  %8d  %4d  %13d  %14d  %7d\n", m["id"].get<int>(), m["position"].get<int>(),
                m["velocity"].get<int>(), m["load"].get<int>(), m["voltage"].get<int>(),
                m["temperature"].get<int>(), m["current"].get<int>());
}

// LeRobot's setup: one motor on the bus at a time; find it at any baud, torque off, write the new id and
// 1 Mbps, then check that it answers under the new id.
void RunSetupId(const MotorsFlags& f) {
  if (f.id < 1 || f.id > 252)
    throw ConfigError("--id: expected a motor id in 1..252, got " + std::to_string(f.id));
  const auto found = ScanPort(f);
  int count = 0, old_id = -1, old_baud = 0;
  for (const auto& [baud, ids] : found)
    for (const auto& [id, model] : ids) ++count, old_id = id, old_baud = baud;
  if (count != 1)
    throw ConfigError("motors setup-id: expected exactly one motor on " + f.port +
                      " (connect them one at a time), found " + std::to_string(count));
  {
    FeetechBus bus(f.port, old_baud, Options(f));
    const int ids[] = {old_id};
    bus.DisableTorque(ids, 2);  // also unlocks the EEPROM
    if (old_id != f.id) bus.Write(old_id, Register::kId, f.id, 2);
    bus.Write(f.id, Register::kBaudRate, *hw::feetech::CodeFromBaud(hw::feetech::kDefaultBaud), 2);
  }
  FeetechBus bus(f.port, hw::feetech::kDefaultBaud, Options(f));
  const int model = bus.Ping(f.id, 2);
  if (f.json) {
    std::cout << nlohmann::json({{"port", f.port},
                                 {"old_id", old_id},
                                 {"old_baud", old_baud},
                                 {"id", f.id},
                                 {"baud", hw::feetech::kDefaultBaud},
                                 {"model", model}})
                     .dump()
              << "\n";
    return;
  }
  std::printf("motor %d at %d baud is now id %d at %d baud (model %d)\n", old_id, old_baud, f.id,
              hw::feetech::kDefaultBaud, model);
}

struct DriveFlags {
  std::string robot = "jetbot";
  std::string i2c = "/dev/i2c-1";
  std::string address = "0x60";
  std::string board = "adafruit";
  double left = NAN, right = NAN;  // required
  double seconds = NAN;            // required
  double watchdog_s = 0.25;
  bool json = false;
};

// A flag's number as typed: 2, 0.5, nan, inf.
std::string Num(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

// Every flag checked before the device is opened; ConfigError names the flag (exit 2).
hw::JetbotMotorsConfig DriveConfig(const DriveFlags& f) {
  if (f.robot != "jetbot") throw ConfigError("--robot: expected jetbot, got '" + f.robot + "'");
  for (auto [flag, v] : {std::pair{"--left", f.left}, std::pair{"--right", f.right}})
    if (!std::isfinite(v) || v < -1 || v > 1)
      throw ConfigError(std::string(flag) + ": expected a motor value in [-1, 1], got " + Num(v));
  if (!std::isfinite(f.seconds) || f.seconds <= 0 || f.seconds > 3600)
    throw ConfigError("--seconds: expected a duration in (0, 3600] s, got " + Num(f.seconds));
  if (!std::isfinite(f.watchdog_s) || f.watchdog_s < 0.05 || f.watchdog_s > 10)
    throw ConfigError("--watchdog-s: expected 0.05..10 s, got " + Num(f.watchdog_s));
  hw::JetbotMotorsConfig c;
  c.board = hw::ParseMotorBoard(f.board, "--board");
  c.address = hw::ParseI2cAddress(f.address, "--address");
  c.watchdog_s = f.watchdog_s;
  return c;
}

// Drives both wheels for --seconds, re-sending the command every 50 ms (a control loop; the watchdog
// releases the motors if it stalls), then releases. Ctrl+C/SIGTERM: release and exit 130.
void RunDrive(const DriveFlags& f) {
  const hw::JetbotMotorsConfig config = DriveConfig(f);
  InstallStopSignals(SecondSignal::kKeepWaiting);  // the release takes milliseconds
  using Clock = std::chrono::steady_clock;
  hw::I2cDev bus(f.i2c);
  hw::JetbotMotors motors(bus, config);  // released by its destructor on every exit path
  const auto start = Clock::now();
  const auto end =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(f.seconds));
  {
    hw::MotorWatchdog watchdog(motors);
    while (!StopRequested() && Clock::now() < end) {
      motors.SetMotors(f.left, f.right);
      std::this_thread::sleep_until(std::min(end, Clock::now() + std::chrono::milliseconds(50)));
    }
  }
  motors.Release();
  const double duration = std::chrono::duration<double>(Clock::now() - start).count();
  const bool interrupted = StopRequested();
  if (f.json) {
    std::cout << nlohmann::json({{"robot", f.robot},
                                 {"i2c", f.i2c},
                                 {"address", hw::HexAddress(config.address)},
                                 {"board", hw::MotorBoardName(config.board)},
                                 {"left", f.left},
                                 {"right", f.right},
                                 {"seconds", f.seconds},
                                 {"duration_s", duration},
                                 {"watchdog_releases", motors.watchdog_releases()},
                                 {"interrupted", interrupted},
                                 {"released", motors.released()}})
                     .dump()
              << std::endl;
  } else {
    std::printf("drove left %.3f right %.3f for %.2f s on %s at %s (%s board); motors released\n", f.left,
                f.right, duration, f.i2c.c_str(), hw::HexAddress(config.address).c_str(),
                hw::MotorBoardName(config.board).c_str());
  }
  if (interrupted)
    throw Interrupted("motors drive: stopped by a signal after " + std::to_string(duration) +
                      " s; motors released");
}

}  // namespace

void AddMotorsCommand(CLI::App& app) {
  static MotorsFlags f;
  auto* motors = app.add_subcommand(
      "motors", "Motor tools: Feetech STS3215 bus (scan, read, setup-id), Jetbot wheels (drive)");
  motors->require_subcommand(1);
  auto common = [](CLI::App* c) {
    c->add_option("--port", f.port, "serial port, e.g. /dev/ttyACM0 (or a virtual robot's link)")->required();
    c->add_option("--broadcast-wait-ms", f.broadcast_wait_ms,
                  "how long a broadcast ping listens (default LeRobot's)");
    c->add_flag("--json", f.json, "print one JSON object on stdout");
  };
  auto* scan = motors->add_subcommand(
      "scan", "Find motors: broadcast ping at every baud rate (ids, models, firmware)");
  common(scan);
  scan->add_option("--bauds", f.bauds, "baud rates to try (default: LeRobot's list)");
  scan->callback([] { RunScan(f); });
  auto* read = motors->add_subcommand("read", "Read position, velocity, load, voltage, temperature, current");
  common(read);
  read->add_option("--ids", f.ids, "motor ids")->capture_default_str();
  read->add_option("--baud", f.baud, "baud rate")->capture_default_str();
  read->callback([] { RunRead(f); });
  auto* setup = motors->add_subcommand("setup-id", "Give the one motor on the bus a new id and 1 Mbps");
  common(setup);
  setup->add_option("--id", f.id, "the new id (1..252)")->required();
  setup->add_option("--bauds", f.bauds, "baud rates to search (default: LeRobot's list)");
  setup->callback([] { RunSetupId(f); });

  static DriveFlags d;
  auto* drive = motors->add_subcommand(
      "drive", "Drive the Jetbot's wheels (PCA9685 over i2c-dev) for some seconds, then release them");
  drive->add_option("--robot", d.robot, "the robot: jetbot")->capture_default_str();
  drive->add_option("--i2c", d.i2c, "the i2c-dev device of the motor board's bus")->capture_default_str();
  drive->add_option("--address", d.address, "the PCA9685's 7-bit address")->capture_default_str();
  drive->add_option("--board", d.board, "adafruit (MotorHAT) or waveshare (JetBot board)")
      ->capture_default_str();
  drive->add_option("--left", d.left, "left motor value in [-1, 1] (jetbot's set_motors)")->required();
  drive->add_option("--right", d.right, "right motor value in [-1, 1]")->required();
  drive->add_option("--seconds", d.seconds, "how long to drive before releasing")->required();
  drive->add_option("--watchdog-s", d.watchdog_s, "release when no command came for this long")
      ->capture_default_str();
  drive->add_flag("--json", d.json, "print one JSON object on stdout at the end");
  drive->callback([] { RunDrive(d); });
}

}  // namespace s2r::app
