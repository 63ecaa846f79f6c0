// `sim2real virtual-robot ARGS...` in the background for tests that drive it through the real binary: started
// by fork/exec with its output in a log file, ready once the paths it creates exist, and on scope exit
// stopped with SIGTERM (it removes its links) and reaped, with SIGKILL after 10 s as the last resort.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

namespace s2r::testing {

class VirtualRobotProcess {
 public:
  // args: what follows `sim2real virtual-robot`; ready_paths: files the robot makes once it serves (its
  // port link, camera socket, calibration); waits up to `timeout_s` for them.
  VirtualRobotProcess(const std::vector<std::string>& args, const std::string& log,
                      std::vector<std::string> ready_paths, double timeout_s = 15)
      : ready_paths_(std::move(ready_paths)) {
    pid_ = fork();
    if (pid_ == 0) {
      if (!freopen(log.c_str(), "w", stdout) || dup2(fileno(stdout), STDERR_FILENO) < 0) _exit(126);
      std::vector<char*> argv = {const_cast<char*>(S2R_BINARY), const_cast<char*>("virtual-robot")};
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execv(S2R_BINARY, argv.data());
      _exit(127);
    }
    const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
    while (!ready() && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ~VirtualRobotProcess() { Stop(); }
  // SIGTERM (the robot cleans up and prints what it prints at exit), then reaps it; SIGKILL after 10 s.
  // Returns the wait status (-1 when there is no process any more). The destructor calls it.
  int Stop() {
    if (pid_ <= 0) return -1;
    const pid_t pid = pid_;
    pid_ = -1;
    kill(pid, SIGTERM);
    int status = 0;
    for (int i = 0; i < 500; ++i) {  // 10 s
      if (waitpid(pid, &status, WNOHANG) == pid) return status;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return status;
  }
  VirtualRobotProcess(const VirtualRobotProcess&) = delete;
  VirtualRobotProcess& operator=(const VirtualRobotProcess&) = delete;

  bool ready() const {
    for (const auto& p : ready_paths_)
      if (!std::filesystem::exists(p)) return false;
    return pid_ > 0;
  }

 private:
  std::vector<std::string> ready_paths_;
  pid_t pid_ = -1;
};

// The robot the camera tools and the real-evaluation loop need: servos on a pseudo-terminal linked at
// DIR/port, the twin's camera on DIR/cam, and a calibration written as id "vr" into DIR/cal.
class VirtualArm {
 public:
  explicit VirtualArm(const std::filesystem::path& dir)
      : dir_((std::filesystem::create_directories(dir), dir)),
        process_({"--port-link", port(), "--camera-link", camera(), "--write-calibration", "vr",
                  "--calibration-dir", cal_dir()},
                 (dir / "virtual_robot.log").string(), {port(), camera(), cal_dir() + "/vr.json"}) {}
  bool ready() const { return process_.ready(); }
  std::string port() const { return (dir_ / "port").string(); }
  std::string camera() const { return (dir_ / "cam").string(); }
  std::string cal_dir() const { return (dir_ / "cal").string(); }
  // The flags that point `sim2real eval --real` at this robot.
  std::string RealFlags() const {
    return " --real --robot-port " + port() + " --robot-id vr --calibration-dir " + cal_dir() +
           " --camera virtual:" + camera();
  }

 private:
  std::filesystem::path dir_;
  VirtualRobotProcess process_;
};

}  // namespace s2r::testing
