// `sim2real eval --real` end to end, without mocks: the real binary drives the virtual robot (the real
// Feetech protocol on a pseudo-terminal, servos moved by the MuJoCo twin, the twin's camera over the frame
// socket, the scene reset through it) with the scripted controller, and Ctrl+C (SIGINT) to a running
// evaluation must leave the arm commanded to rest with torque off on every servo.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>

#include "app/config_load.h"
#include "core/so100_layout.h"
#include "hw/calibration.h"
#include "hw/feetech/bus.h"
#include "train_cli.h"
#include "virtual_robot_process.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace s2r {
namespace {

using testing::LastJsonLine;
using testing::Sim2real;

using VirtualRobot = testing::VirtualArm;

fs::path TempRoot(const std::string& name) {
  return fs::temp_directory_path() / ("s2r_real_eval_" + name + "_" + std::to_string(getpid()));
}

TEST(RealEvalTest, ScriptedOnTheVirtualRobotSucceedsAboutAsOftenAsInSimulation) {
  const fs::path root = TempRoot("scripted");
  VirtualRobot robot(root);
  ASSERT_TRUE(robot.ready());
  const int episodes = 6;
  const auto r =
      Sim2real("eval" + robot.RealFlags() + " --scripted --num-episodes " + std::to_string(episodes) +
               " --max-episode-steps 64 --control-freq 20 --seed 3 --record-dir " +
               (root / "videos").string() + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const json j = LastJsonLine(r.out);
  EXPECT_EQ(j["policy"], "scripted");
  EXPECT_EQ(j["episodes"], episodes);
  EXPECT_EQ(j["steps"], episodes * 64);
  EXPECT_EQ(j["interrupted"], false);
  ASSERT_TRUE(j["success_rate"].is_number()) << r.out;  // the virtual robot knows the ground truth
  // Progress: one line per episode with the count and the running tally (stderr, merged here).
  const int won = static_cast<int>(std::lround(j["success_rate"].get<double>() * episodes));
  EXPECT_NE(r.out.find("episode 1/6: 64 steps"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(" + std::to_string(won) + "/6 succeeded so far)"), std::string::npos) << r.out;
  // The same controller in pure simulation (full episodes, as the real loop runs them).
  const auto s = Sim2real("scripted --num-episodes 200 --seed 1 --json");
  ASSERT_EQ(s.exit_code, 0) << s.out;
  const double sim_rate = LastJsonLine(s.out)["success_rate"].get<double>();
  const double real_rate = j["success_rate"].get<double>();
  EXPECT_GE(real_rate, sim_rate - 0.35) << "virtual robot " << real_rate << " vs simulation " << sim_rate;
  // One MP4 of the camera per episode.
  ASSERT_EQ(j["videos"].size(), static_cast<size_t>(episodes));
  for (const auto& v : j["videos"]) EXPECT_GT(fs::file_size(v.get<std::string>()), 1000u);
  fs::remove_all(root);
}

TEST(RealEvalTest, CtrlCReturnsTheArmToRestAndTurnsTorqueOffOnEveryServo) {
  const fs::path root = TempRoot("sigint");
  VirtualRobot robot(root);
  ASSERT_TRUE(robot.ready());
  // A long evaluation in the background, interrupted mid-episode.
  const std::string out = (root / "eval.json").string();
  const pid_t pid = fork();
  if (pid == 0) {
    freopen(out.c_str(), "w", stdout);
    freopen((root / "eval.err").c_str(), "w", stderr);
    const std::string flags = robot.RealFlags() + " --scripted --num-episodes 10 --control-freq 20 --json";
    execl("/bin/sh", "sh", "-c", ("exec '" + std::string(S2R_BINARY) + "' eval" + flags).c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  std::this_thread::sleep_for(std::chrono::seconds(5));  // connected, reset done, stepping
  ASSERT_EQ(kill(pid, SIGINT), 0);
  int st = 0;
  const auto t0 = std::chrono::steady_clock::now();
  waitpid(pid, &st, 0);
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::ifstream err(root / "eval.err");
  const std::string err_text((std::istreambuf_iterator<char>(err)), std::istreambuf_iterator<char>());
  ASSERT_TRUE(WIFEXITED(st)) << err_text;
  EXPECT_EQ(WEXITSTATUS(st), 130) << err_text;  // as a shell reports SIGINT
  EXPECT_LT(took, 15.0) << "the return to rest is bounded";
  std::ifstream in(out);
  std::stringstream ss;
  ss << in.rdbuf();
  const json j = LastJsonLine(ss.str());
  EXPECT_EQ(j["interrupted"], true);
  EXPECT_GT(j["steps"].get<int>(), 0) << "it was stepping when interrupted";

  // Every servo: torque off, and the last goal it was given is the rest pose.
  const hw::Calibration cal = hw::ReadCalibrationFile(root / "cal/vr.json");
  const JointMap map = app::LoadRobotConfig(app::DefaultRobotConfigPath("so100")).joint_map;
  hw::feetech::FeetechBus bus(robot.port());
  for (int j = 0; j < so100::kNumJoints; ++j) {
    const int id = j + 1;
    EXPECT_EQ(bus.Read(id, hw::feetech::Register::kTorqueEnable, 2), 0) << "servo " << id;
    const int goal = bus.Read(id, hw::feetech::Register::kGoalPosition, 2);
    const double goal_deg = hw::Normalize(cal.At(so100::kJointNames[j]), hw::MotorNormMode::kDegrees, goal);
    EXPECT_NEAR(goal_deg, map.ToDegrees(j, so100::kRestQpos[j]), 2.0) << so100::kJointNames[j];
  }
  fs::remove_all(root);
}

TEST(RealEvalTest, TrainedPixelPoliciesPpoFpoAndFpoOnnxRunOnTheVirtualRobotAndStatePoliciesAreRefused) {
  const fs::path root = TempRoot("policy");
  fs::create_directories(root);
  // A tiny pixel policy (40x40 camera) and a tiny state policy, trained for a few hundred steps.
  std::ofstream(root / "small_camera.json") << R"({"sensor_configs": {"width": 40, "height": 40}})";
  const std::string train =
      "train --ppo.num-envs 4 --ppo.num-steps 8 --ppo.num-minibatches 2 --ppo.update-epochs 1 "
      "--ppo.num-eval-envs 2"
      " --ppo.num-eval-steps 4 --ppo.threads 2 --ppo.no-capture-video --json --runs-dir " +
      root.string();
  const auto rgb =
      Sim2real(train + " --obs-mode rgb --env-kwargs-json-path " + (root / "small_camera.json").string() +
               " --ppo.total-timesteps 64 --ppo.exp-name rgb");
  ASSERT_EQ(rgb.exit_code, 0) << rgb.out;
  const auto state = Sim2real(train + " --obs-mode state --ppo.total-timesteps 64 --ppo.exp-name state");
  ASSERT_EQ(state.exit_code, 0) << state.out;
  // A flow-matching (FPO) pixel policy whose samples are squashed by tanh: the real path takes it too.
  const auto fpo =
      Sim2real(train + " --algo fpo --ppo.fpo-num-steps 3 --ppo.fpo-num-train-samples 2" +
               " --ppo.fpo-action-squash=tanh --obs-mode rgb --env-kwargs-json-path " +
               (root / "small_camera.json").string() + " --ppo.total-timesteps 64 --ppo.exp-name fpo");
  ASSERT_EQ(fpo.exit_code, 0) << fpo.out;

  VirtualRobot robot(root / "vr");
  ASSERT_TRUE(robot.ready());
  // The policy sees the virtual camera's 640x480 frame cropped and resized to its 40x40 input.
  const auto r =
      Sim2real("eval" + robot.RealFlags() + " --checkpoint " + (root / "rgb/final_ckpt.pt").string() +
               " --num-episodes 1 --max-episode-steps 6 --control-freq 20 --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const json j = LastJsonLine(r.out);
  EXPECT_EQ(j["policy"], "ppo");
  EXPECT_EQ(j["episodes"], 1);
  EXPECT_EQ(j["steps"], 6);
  const auto f =
      Sim2real("eval" + robot.RealFlags() + " --checkpoint " + (root / "fpo/final_ckpt.pt").string() +
               " --num-episodes 1 --max-episode-steps 6 --control-freq 20 --json");
  ASSERT_EQ(f.exit_code, 0) << f.out;
  EXPECT_EQ(LastJsonLine(f.out)["policy"], "fpo");
  EXPECT_EQ(LastJsonLine(f.out)["steps"], 6);
  EXPECT_EQ(LastJsonLine(f.out)["interrupted"], false);
  // The same FPO policy exported to ONNX runs on the arm without libtorch's policy (OpenCV's dnn).
  const std::string onnx = (root / "fpo/policy.onnx").string();
  const auto exported =
      Sim2real("export-onnx --checkpoint " + (root / "fpo/final_ckpt.pt").string() + " --out " + onnx);
  ASSERT_EQ(exported.exit_code, 0) << exported.out;
  const auto o = Sim2real("eval" + robot.RealFlags() + " --checkpoint " + onnx +
                          " --num-episodes 1 --max-episode-steps 6 --control-freq 20 --json");
  ASSERT_EQ(o.exit_code, 0) << o.out;
  EXPECT_EQ(LastJsonLine(o.out)["policy"], "fpo");
  EXPECT_EQ(LastJsonLine(o.out)["steps"], 6);
  EXPECT_EQ(LastJsonLine(o.out)["interrupted"], false);
  const auto refused = Sim2real("eval" + robot.RealFlags() + " --checkpoint " +
                                (root / "state/final_ckpt.pt").string() + " --num-episodes 1");
  EXPECT_EQ(refused.exit_code, 2) << refused.out;
  EXPECT_NE(refused.out.find("cannot measure"), std::string::npos) << refused.out;
  fs::remove_all(root);
}

TEST(RealEvalTest, BadInputNamesTheFlag) {
  const auto both = Sim2real("eval --real --scripted --checkpoint x.pt --robot-port /nonexistent");
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_NE(both.out.find("--checkpoint PATH or --scripted"), std::string::npos) << both.out;
  const auto port =
      Sim2real("eval --real --scripted --robot-port /nonexistent/tty --calibration-dir /nonexistent");
  EXPECT_NE(port.exit_code, 0);
  EXPECT_NE(port.out.find("/nonexistent"), std::string::npos) << port.out;
  // Checked before the port is opened: simulation-only flags and a folder that cannot be written.
  for (const auto& [flags, named] : std::vector<std::pair<std::string, std::string>>{
           {"--num-envs 4", "--num-envs"},
           {"--trace-csv /tmp/t.csv", "--trace-csv"},
           {"--record-dir /proc/s2r_cannot_exist", "--record-dir /proc/s2r_cannot_exist"}}) {
    const auto r = Sim2real("eval --real --scripted --robot-port /nonexistent/tty " + flags);
    EXPECT_EQ(r.exit_code, 2) << flags << "\n" << r.out;
    EXPECT_NE(r.out.find(named), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("/nonexistent/tty"), std::string::npos) << "the port was tried first:\n" << r.out;
  }
}

}  // namespace
}  // namespace s2r
