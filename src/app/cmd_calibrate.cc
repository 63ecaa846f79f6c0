// `sim2real calibrate`: LeRobot's interactive follower calibration (lerobot-calibrate), writing LeRobot's
// calibration file so LeRobot and sim2real share it.
#include <poll.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "app/commands.h"
#include "core/error.h"
#include "hw/calibration.h"
#include "hw/calibration_procedure.h"
#include "hw/so100_follower.h"

namespace s2r::app {

namespace {

struct CalibrateFlags {
  std::string robot = "so100";
  std::string port;
  std::string id;
  std::string calibration_dir;  // empty: LeRobot's default location
  bool json = false;
};

// Lines from standard input read with read(2), so "is a line waiting" (poll) and "read a line" agree
// (std::cin's buffer would hide lines from poll).
class StdinLines {
 public:
  // Blocks for a line; nullopt at end of input.
  std::optional<std::string> Read() {
    while (true) {
      if (auto line = Take()) return line;
      if (eof_) return std::nullopt;
      Fill(-1);
    }
  }
  // True if a whole line (or the end of input) is available now; consumes that line.
  bool Poll() {
    if (Take()) return true;
    if (eof_) return true;
    Fill(0);
    return Take().has_value() || eof_;
  }

 private:
  std::optional<std::string> Take() {
    const size_t nl = buf_.find('\n');
    if (nl == std::string::npos) return std::nullopt;
    std::string line = buf_.substr(0, nl);
    buf_.erase(0, nl + 1);
    return line;
  }
  void Fill(int timeout_ms) {
    pollfd p{STDIN_FILENO, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return;
    char chunk[256];
    const ssize_t n = ::read(STDIN_FILENO, chunk, sizeof(chunk));
    if (n <= 0) {
      eof_ = true;
      return;
    }
    buf_.append(chunk, static_cast<size_t>(n));
  }
  std::string buf_;
  bool eof_ = false;
};

std::string Trimmed(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

void PrintTable(std::FILE* out, const hw::Calibration& cal) {
  std::fprintf(out, "%-15s %3s %11s %14s %10s %10s\n", "joint", "id", "drive_mode", "homing_offset",
               "range_min", "range_max");
  for (const auto& [name, m] : cal)
    std::fprintf(out, "%-15s %3d %11d %14d %10d %10d\n", name.c_str(), m.id, m.drive_mode, m.homing_offset,
                 m.range_min, m.range_max);
}

void RunCalibrate(const CalibrateFlags& f) {
  if (f.robot != "so100" && f.robot != "so101")
    throw ConfigError("--robot: unknown robot '" + f.robot + "'; expected so100 or so101");
  if (f.id.empty() || f.id.find('/') != std::string::npos || f.id == "." || f.id == "..")
    throw ConfigError("--id: expected a robot id usable as a file name (e.g. my_follower), got '" + f.id +
                      "'");
  const std::optional<std::filesystem::path> dir =
      f.calibration_dir.empty() ? std::nullopt : std::optional<std::filesystem::path>(f.calibration_dir);
  // With --json, stdout carries only the result; the dialogue goes to stderr.
  std::FILE* ui = f.json ? stderr : stdout;
  const bool live = ::isatty(::fileno(ui));
  StdinLines in;
  auto ask = [&](const std::string& message) {
    std::fprintf(ui, "%s ", message.c_str());
    std::fflush(ui);
    auto line = in.Read();
    if (!line)
      throw ConfigError("calibrate: standard input closed while waiting for ENTER (it is interactive)");
    return *line;
  };

  hw::So100FollowerConfig config;
  config.port = f.port;
  config.id = f.id;
  hw::So100Follower follower(config);

  follower.Connect();  // handshake first: a wrong port fails before any question
  bool new_calibration = true;
  std::filesystem::path path = hw::FollowerCalibrationPath(f.id, dir);
  if (const auto existing = hw::FindFollowerCalibration(f.id, dir)) {
    const std::string answer = ask("Press ENTER to write the calibration file " + existing->string() +
                                   " to the motors, or type 'c' and press ENTER to run a new calibration:");
    if (Trimmed(answer) == "c" || Trimmed(answer) == "C") {  // LeRobot: input().strip().lower() == "c"
      std::fprintf(ui, "Running a new calibration (it will be saved to %s)\n", path.string().c_str());
    } else {
      follower.SetCalibration(hw::ReadCalibrationFile(*existing));
      new_calibration = false;
      path = *existing;
    }
  }
  if (new_calibration) {
    hw::CalibrationCallbacks cb;
    cb.ask = ask;
    cb.show = [&](const std::string& message) {
      std::fprintf(ui, "%s\n", message.c_str());
      std::fflush(ui);
    };
    cb.sweep_finished = [&](const hw::SweepStatus& s) {
      if (live) {  // LeRobot's live table, redrawn in place
        if (s.samples > 1) std::fprintf(ui, "\033[%zuA", s.joints.size() + 2);
        std::fprintf(ui, "%-15s | %6s | %6s | %6s\n-------------------------------------------\n", "NAME",
                     "MIN", "POS", "MAX");
        for (size_t i = 0; i < s.joints.size(); ++i)
          std::fprintf(ui, "%-15s | %6d | %6d | %6d\n", s.joints[i].c_str(), s.min[i], s.position[i],
                       s.max[i]);
        std::fflush(ui);
      }
      return in.Poll();
    };
    follower.Calibrate(cb);
    hw::WriteCalibrationFile(path, *follower.calibration());
  } else {
    follower.WriteCalibration();
  }
  follower.Disconnect();  // torque off

  const hw::Calibration& cal = *follower.calibration();
  if (f.json) {
    nlohmann::ordered_json out = {{"robot", f.robot},
                                  {"id", f.id},
                                  {"port", f.port},
                                  {"path", path.string()},
                                  {"new_calibration", new_calibration},
                                  {"calibration", nlohmann::ordered_json::parse(hw::CalibrationToJson(cal))}};
    std::cout << out.dump() << "\n";
    return;
  }
  if (new_calibration) {
    std::printf("Calibration saved to %s\n", path.string().c_str());
  } else {
    std::printf("Wrote %s to the motors\n", path.string().c_str());
  }
  PrintTable(stdout, cal);
}

}  // namespace

void AddCalibrateCommand(CLI::App& app) {
  static CalibrateFlags f;
  auto* cmd = app.add_subcommand(
      "calibrate",
      "Calibrate a follower arm as LeRobot does (interactive): torque off, put every joint at the middle of "
      "its range and press ENTER, then move every joint but wrist_roll through its full range and press "
      "ENTER. Writes the homing offsets and limits to the servos and LeRobot's calibration file "
      "($HF_LEROBOT_CALIBRATION/robots/so_follower/<id>.json, default "
      "~/.cache/huggingface/lerobot/calibration/...), which LeRobot reads too. If a file for <id> exists "
      "(also in the older so100_follower/so101_follower folders), ENTER writes it to the servos instead.");
  cmd->add_option("--robot", f.robot, "so100 or so101 (the same follower)")->capture_default_str();
  cmd->add_option("--port", f.port, "serial port, e.g. /dev/ttyACM0 (or a virtual robot's link)")->required();
  cmd->add_option("--id", f.id, "the robot's id: names its calibration file <id>.json")->required();
  cmd->add_option("--calibration-dir", f.calibration_dir,
                  "folder of the calibration file (LeRobot's --robot.calibration_dir); default LeRobot's");
  cmd->add_flag("--json", f.json, "print one JSON object on stdout (path and values); prompts go to stderr");
  cmd->callback([] { RunCalibrate(f); });
}

}  // namespace s2r::app
