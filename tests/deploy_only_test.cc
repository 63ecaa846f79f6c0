// The deploy-only build (cmake -DSIM2REAL_DEPLOY_ONLY=ON): the robot-side sim2real with neither MuJoCo nor
// libtorch linked, running an exported policy on the full build's virtual robot (its servos on a
// pseudo-terminal, its camera socket), as it would on a robot computer beside a real arm, and the Jetbot's
// loop on the full build's virtual Jetbot (its motor board as a FUSE i2c-dev file).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

namespace {
// This build's binary; the virtual robot and the policy come from the full build's.
const std::string kDeployBinary = S2R_BINARY;
const std::string kFullBuildDir = S2R_FULL_BUILD_DIR;
const std::string kFullBinary = kFullBuildDir + "/sim2real";
}  // namespace

#undef S2R_BINARY
#define S2R_BINARY kFullBinary.c_str()
#include "cli_run.h"
#include "virtual_robot_process.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

using CmdResult = s2r::testing::RunResult;
CmdResult Shell(const std::string& cmd) { return s2r::testing::RunShell(cmd); }
CmdResult Deploy(const std::string& args) { return Shell("'" + kDeployBinary + "' " + args); }
CmdResult Full(const std::string& args) { return Shell("'" + kFullBinary + "' " + args); }

bool HaveFullBuild() { return !kFullBuildDir.empty() && fs::exists(kFullBinary); }

json LastJsonLine(const std::string& out) {
  const size_t end = out.find_last_not_of('\n');
  const size_t start = out.rfind('\n', end);
  return json::parse(out.substr(start == std::string::npos ? 0 : start + 1, end - start));
}

bool Has(const std::string& text, const std::string& what) { return text.find(what) != std::string::npos; }

}  // namespace

TEST(DeployOnlyTest, LinksNeitherLibtorchNorMujocoButOpenCvDnn) {
  const CmdResult ldd = Shell("ldd '" + kDeployBinary + "'");
  ASSERT_EQ(ldd.exit_code, 0) << ldd.out;
  for (const char* lib : {"libtorch", "libc10", "libmujoco", "libOSMesa"})
    EXPECT_FALSE(Has(ldd.out, lib)) << lib << " is linked:\n" << ldd.out;
  EXPECT_TRUE(Has(ldd.out, "libopencv_dnn")) << ldd.out;  // it does run ONNX policies
}

TEST(DeployOnlyTest, HasTheRobotSideCommandsOnlyAndNamesTheOthers) {
  const CmdResult help = Deploy("--help");
  ASSERT_EQ(help.exit_code, 0) << help.out;
  EXPECT_TRUE(Has(help.out, "deploy-only"));
  for (const char* verb : {"eval", "motors", "calibrate", "capture-background", "find-port", "find-cameras"})
    EXPECT_TRUE(Has(help.out, std::string("\n  ") + verb)) << verb << " missing:\n" << help.out;
  for (const char* verb : {"train", "virtual-robot", "export-onnx", "render", "align-camera"}) {
    EXPECT_FALSE(Has(help.out, std::string("\n  ") + verb + " ")) << verb << " listed:\n" << help.out;
    const CmdResult r = Deploy(std::string(verb) + " --help");
    EXPECT_EQ(r.exit_code, 2) << verb << ": " << r.out;
    EXPECT_TRUE(Has(r.out, "'" + std::string(verb) + "' is not in this deploy-only build")) << r.out;
  }
  const CmdResult sim = Deploy("eval --checkpoint policy.onnx");
  EXPECT_EQ(sim.exit_code, 2) << sim.out;
  EXPECT_TRUE(Has(sim.out, "pass --real")) << sim.out;
  const CmdResult scripted = Deploy("eval --real --scripted --robot-port /nonexistent");
  EXPECT_EQ(scripted.exit_code, 2) << scripted.out;
  EXPECT_TRUE(Has(scripted.out, "--scripted")) << scripted.out;
  EXPECT_TRUE(Has(scripted.out, "full build")) << scripted.out;
}

// A tiny pixel policy trained by the full build, its .pt refused here with the export command to run, its
// .onnx export driving the full build's virtual robot through this binary.
TEST(DeployOnlyTest, RunsAnExportedPolicyOnTheFullBuildsVirtualRobotAndRefusesCheckpoints) {
  if (!HaveFullBuild())
    GTEST_SKIP() << "configure with -DS2R_FULL_BUILD_DIR=<the full build> (make test does)";
  const fs::path root = fs::temp_directory_path() / ("s2r_deploy_only_" + std::to_string(getpid()));
  fs::remove_all(root);
  fs::create_directories(root);
  std::ofstream(root / "small_camera.json") << R"({"sensor_configs": {"width": 40, "height": 40}})";
  const CmdResult trained =
      Full("train --obs-mode rgb --env-kwargs-json-path " + (root / "small_camera.json").string() +
           " --ppo.num-envs 4 --ppo.num-steps 8 --ppo.num-minibatches 2 --ppo.update-epochs 1 "
           "--ppo.num-eval-envs 2"
           " --ppo.num-eval-steps 4 --ppo.threads 2 --ppo.no-capture-video --ppo.total-timesteps 64 --json"
           " --runs-dir " +
           root.string() + " --ppo.exp-name rgb");
  ASSERT_EQ(trained.exit_code, 0) << trained.out;
  const std::string pt = (root / "rgb/final_ckpt.pt").string();
  const std::string onnx = (root / "policy.onnx").string();
  const CmdResult exported = Full("export-onnx --checkpoint " + pt + " --out " + onnx);
  ASSERT_EQ(exported.exit_code, 0) << exported.out;

  s2r::testing::VirtualArm robot(root / "vr");
  ASSERT_TRUE(robot.ready());
  // The .pt: refused before the arm is touched, with the command that makes an .onnx of it.
  const CmdResult refused = Deploy("eval" + robot.RealFlags() + " --checkpoint " + pt + " --num-episodes 1");
  EXPECT_EQ(refused.exit_code, 2) << refused.out;
  EXPECT_TRUE(Has(refused.out, "--checkpoint " + pt)) << refused.out;
  EXPECT_TRUE(Has(refused.out, "sim2real export-onnx --checkpoint " + pt)) << refused.out;
  EXPECT_FALSE(Has(refused.out, "robot on")) << refused.out;

  const CmdResult r = Deploy("eval" + robot.RealFlags() + " --checkpoint " + onnx +
                             " --num-episodes 2 --max-episode-steps 5 --control-freq 20 --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const json j = LastJsonLine(r.out);
  EXPECT_EQ(j["policy"], "ppo");
  EXPECT_EQ(j["episodes"], 2);
  EXPECT_EQ(j["steps"], 10);
  EXPECT_EQ(j["interrupted"], false);
  EXPECT_TRUE(j["success_rate"].is_number()) << j.dump();  // the virtual scene reports success
  EXPECT_TRUE(Has(r.out, "the arm is at rest and torque is off")) << r.out;
  fs::remove_all(root);
}

// The Jetbot's loop in this build: a tiny JetbotGoal-v0 rgb policy trained and exported by the full build,
// run by this binary against the full build's virtual Jetbot (its PCA9685 as a FUSE i2c-dev file, its
// chassis camera on a frame socket), and the motors released at the end.
TEST(DeployOnlyTest, RunsTheJetbotLoopOnTheFullBuildsVirtualJetbot) {
  if (!HaveFullBuild())
    GTEST_SKIP() << "configure with -DS2R_FULL_BUILD_DIR=<the full build> (make test does)";
  if (::access("/dev/fuse", R_OK | W_OK) != 0 || ::geteuid() != 0) GTEST_SKIP() << "needs root and /dev/fuse";
  // Short: a Unix socket path is at most 107 bytes.
  const fs::path root = fs::path("/tmp") / ("s2r_deploy_jb_" + std::to_string(getpid()));
  fs::remove_all(root);
  fs::create_directories(root);
  std::ofstream(root / "small_camera.json") << R"({"sensor_configs": {"width": 40, "height": 40}})";
  const CmdResult trained =
      Full("train --algo ppo --env-id JetbotGoal-v0 --obs-mode rgb --env-kwargs-json-path " +
           (root / "small_camera.json").string() +
           " --ppo.num-envs 4 --ppo.num-steps 8 --ppo.num-minibatches 2 --ppo.update-epochs 1 "
           "--ppo.num-eval-envs 2 --ppo.num-eval-steps 4 --ppo.threads 2 --ppo.no-capture-video "
           "--ppo.total-timesteps 64 --json --runs-dir " +
           root.string() + " --ppo.exp-name jb");
  ASSERT_EQ(trained.exit_code, 0) << trained.out;
  const std::string pt = (root / "jb/final_ckpt.pt").string();
  const std::string onnx = (root / "jb.onnx").string();
  const CmdResult exported = Full("export-onnx --checkpoint " + pt + " --out " + onnx);
  ASSERT_EQ(exported.exit_code, 0) << exported.out;

  const std::string i2c = (root / "i2c-1").string(), cam = (root / "cam").string();
  const std::string log = (root / "virtual_jetbot.log").string();
  s2r::testing::VirtualRobotProcess robot(
      {"--robot", "jetbot", "--i2c-link", i2c, "--camera-link", cam, "--json"}, log,
      {cam});  // the socket comes after the mount
  ASSERT_TRUE(robot.ready());
  const std::string flags = " --real --robot jetbot --i2c " + i2c + " --camera virtual:" + cam;
  const CmdResult refused = Deploy("eval" + flags + " --checkpoint " + pt + " --seconds 1");
  EXPECT_EQ(refused.exit_code, 2) << refused.out;
  EXPECT_TRUE(Has(refused.out, "sim2real export-onnx --checkpoint " + pt)) << refused.out;

  const CmdResult r =
      Deploy("eval" + flags + " --checkpoint " + onnx + " --max-duty 0.15 --seconds 1.5 --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const json j = LastJsonLine(r.out);
  EXPECT_EQ(j["robot"], "jetbot");
  EXPECT_GT(j["steps"].get<int>(), 10) << j.dump();
  EXPECT_EQ(j["released"], true);
  EXPECT_TRUE(j["latency_ms"]["median"].is_number()) << j.dump();
  EXPECT_LE(j["max_abs_value"].get<double>(), 0.15 + 1e-9);

  robot.Stop();
  std::ifstream in(log);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const json v = LastJsonLine(text);
  EXPECT_EQ(v["released"], true) << text;
  EXPECT_LE(v["max_abs_value"]["left"].get<double>(), 0.15 + 1.0 / 255) << text;
  EXPECT_GT(v["transactions"].get<int>(), 0) << text;
  fs::remove_all(root);
}
