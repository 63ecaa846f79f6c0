// `sim2real motors scan|read|setup-id`: the Feetech bus from the command line (LeRobot's motor tools).
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <vector>

#include "app/commands.h"
#include "core/error.h"
#include "core/progress.h"
#include "hw/feetech/bus.h"
#include "hw/feetech/control_table.h"

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

}  // namespace

void AddMotorsCommand(CLI::App& app) {
  static MotorsFlags f;
  auto* motors = app.add_subcommand("motors", "Feetech STS3215 bus tools: scan, read, setup-id");
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
}

}  // namespace s2r::app
