// `sim2real find-port`: LeRobot's lerobot-find-port. Lists the serial ports, asks the user to unplug the
// arm's USB cable, and names the port that disappeared. Without a terminal to answer (or with --list) it
// only lists them.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "app/cli_util.h"
#include "app/commands.h"
#include "core/error.h"

namespace s2r::app {

namespace {

struct FindPortFlags {
  // Where serial ports appear: USB CDC-ACM (the Feetech/Waveshare boards), USB serial adapters, and the
  // stable by-id names. Tests point it at a virtual robot's link folder.
  std::vector<std::string> patterns = {"/dev/ttyACM*", "/dev/ttyUSB*", "/dev/serial/by-id/*"};
  bool list = false;
  bool json = false;
};

std::vector<std::string> Ports(const std::vector<std::string>& patterns) { return GlobPaths(patterns); }

void RunFindPort(const FindPortFlags& f) {
  const std::vector<std::string> before = Ports(f.patterns);
  auto list_json = [](const std::vector<std::string>& v) { return nlohmann::json(v); };
  if (f.list) {
    if (f.json) {
      std::cout << nlohmann::json({{"ports", list_json(before)}}).dump() << "\n";
    } else {
      if (before.empty()) std::printf("no serial ports found (is the arm's USB cable plugged in?)\n");
      for (const auto& p : before) std::printf("%s\n", p.c_str());
    }
    return;
  }
  if (before.empty())
    throw IoError("find-port: no serial port found (looked for " + std::to_string(f.patterns.size()) +
                  " patterns, e.g. " + f.patterns.front() + "); plug the arm's USB cable in and try again");
  std::fprintf(stderr, "Ports before disconnecting:");
  for (const auto& p : before) std::fprintf(stderr, " %s", p.c_str());
  std::fprintf(stderr, "\nRemove the USB cable from your arm's motor bus and press Enter when done.\n");
  std::string line;
  if (!std::getline(std::cin, line))
    throw ConfigError("find-port: no answer on standard input (run it in a terminal, or use --list)");
  usleep(500'000);  // let the kernel remove the device node
  const std::vector<std::string> after = Ports(f.patterns);
  std::vector<std::string> gone;
  std::set_difference(before.begin(), before.end(), after.begin(), after.end(), std::back_inserter(gone));
  if (f.json) {
    std::cout << nlohmann::json(
                     {{"ports_before", list_json(before)},
                      {"ports_after", list_json(after)},
                      {"port", gone.size() == 1 ? nlohmann::json(gone.front()) : nlohmann::json(nullptr)},
                      {"disappeared", list_json(gone)}})
                     .dump()
              << "\n";
  }
  if (gone.empty())
    throw IoError("find-port: no port disappeared; was the right cable unplugged? (ports: " +
                  std::to_string(after.size()) + " before and after)");
  if (gone.size() > 1) {
    std::string names;
    for (const auto& p : gone) names += (names.empty() ? "" : ", ") + p;
    throw IoError("find-port: several ports disappeared (" + names + "); unplug only the arm's cable");
  }
  if (!f.json)
    std::printf(
        "The port of this arm is %s\nReconnect the USB cable. Pass it as --port %s (or \"port\" in the "
        "robot config).\n",
        gone.front().c_str(), gone.front().c_str());
}

}  // namespace

void AddFindPortCommand(CLI::App& app) {
  static FindPortFlags f;
  auto* cmd = app.add_subcommand(
      "find-port",
      "Find the arm's serial port: unplug its USB cable when asked, and the port that disappears "
      "is named (LeRobot's lerobot-find-port)");
  cmd->add_flag("--list", f.list, "only list the serial ports, without asking to unplug anything");
  cmd->add_option("--pattern", f.patterns, "glob of serial port paths to watch (repeatable)")
      ->capture_default_str();
  cmd->add_flag("--json", f.json, "print the result as one JSON line");
  cmd->callback([] { RunFindPort(f); });
}

}  // namespace s2r::app
