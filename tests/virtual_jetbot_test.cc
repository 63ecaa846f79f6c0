// The virtual Jetbot and `eval --real --robot jetbot`, without mocks: the MuJoCo twin on the test's clock
// (same duties drive straight, opposite ones spin), the real loop's observation against the sim's own, and
// then the real binary end to end: `virtual-robot --robot jetbot` presents its motor board as a FUSE
// i2c-dev file and its chassis camera as a frame socket; `motors drive` and `eval --real --robot jetbot`
// (a tiny JetbotGoal-v0 rgb PPO policy trained here, exported to ONNX) drive it; Ctrl+C to an evaluation
// releases the motors and exits 130; policies of other tasks and out-of-range flags are refused naming the
// flag. The binary tests need root and /dev/fuse (CI has both) and are skipped otherwise.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "camera/camera.h"
#include "camera/frame_server.h"
#include "cli_run.h"
#include "deploy/jetbot_real_loop.h"
#include "deploy/jetbot_twin.h"
#include "hw/virtual/pca9685_fuse.h"
#include "media/image.h"
#include "sim/jetbot_config.h"
#include "sim/jetbot_env.h"
#include "virtual_robot_process.h"

namespace s2r {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr double kQuantum = 1.0 / 255.0;  // jetbot's speed step

// ---- the twin on the test's clock ----

// Drives a fresh twin with `left`/`right` for `seconds` of its clock, advanced 10 ms at a time.
deploy::JetbotOdometry Drive(double left, double right, double seconds) {
  deploy::JetbotTwin twin({});
  twin.SetDuties(left, right);
  for (int i = 1; i <= static_cast<int>(std::lround(seconds * 100)); ++i) twin.AdvanceTo(0.01 * i);
  EXPECT_NEAR(twin.sim_time(), seconds, 1.0 / 30 + 1e-9);
  EXPECT_EQ(twin.physics_resets(), 0);
  return twin.odometry();
}

TEST(JetbotTwin, SameDutiesDriveStraightOppositeDutiesSpinInPlace) {
  const deploy::JetbotOdometry straight = Drive(0.5, 0.5, 1.0);
  EXPECT_GT(straight.x, 0.15) << "half duty for 1 s: ~0.28 m/s once up to speed";
  EXPECT_LT(std::abs(straight.y), 0.01);
  EXPECT_LT(std::abs(straight.yaw), 0.03);
  EXPECT_NEAR(straight.distance, straight.x, 0.01);
  const deploy::JetbotOdometry back = Drive(-0.5, -0.5, 1.0);
  EXPECT_LT(back.x, -0.15);
  const deploy::JetbotOdometry spin = Drive(0.5, -0.5, 1.0);  // left forward, right back: clockwise
  EXPECT_LT(spin.yaw, -1.5);
  EXPECT_LT(std::hypot(spin.x, spin.y), 0.03);
  const deploy::JetbotOdometry spin_ccw = Drive(-0.5, 0.5, 1.0);
  EXPECT_GT(spin_ccw.yaw, 1.5);
  const deploy::JetbotOdometry still = Drive(0.0, 0.0, 0.5);
  EXPECT_LT(still.distance, 1e-3);
}

TEST(JetbotTwin, FollowsTheCallersClockAndSkipsAStall) {
  deploy::JetbotTwin twin({});
  EXPECT_EQ(twin.AdvanceTo(0.1), 3);  // 30 Hz control steps
  EXPECT_EQ(twin.AdvanceTo(0.1), 0);
  EXPECT_EQ(twin.AdvanceTo(5.0), 6);  // 4.9 s behind: 0.2 s simulated, the rest skipped
  EXPECT_NEAR(twin.skipped_s(), 4.7, 1.0 / 30 + 1e-9);
  EXPECT_NEAR(twin.sim_time(), 0.3, 1e-9);
  EXPECT_EQ(twin.AdvanceTo(5.0 + 1.0 / 30 + 1e-6), 1);
  // The camera: the chassis camera at any size, the block (red) in view ahead at the start.
  const media::Image small = twin.Render(*twin.MakeRenderer(64, 48));
  EXPECT_EQ(small.width, 64);
  EXPECT_EQ(small.height, 48);
  const media::Image im = twin.Render(*twin.MakeRenderer(224, 224));
  int red = 0;
  for (int r = 0; r < im.height; ++r)
    for (int c = 0; c < im.width; ++c)
      red += im.at(r, c)[0] > 120 && im.at(r, c)[1] < 80 && im.at(r, c)[2] < 80;
  EXPECT_GT(red, 20) << "the block drawn ahead of the robot (~14x10 pixels at 224x224)";
}

// The real loop given the sim's own rendered frame at the policy size hands the policy exactly the sim's rgb
// observation: the same image bytes and, as the state, the same last action.
TEST(JetbotRealLoop, ThePolicyGetsTheSimsRgbObservation) {
  sim::JetbotConfig cfg = sim::JetbotDefaults(sim::JetbotTask::kGoal);
  cfg.obs_mode = sim::ObsMode::kRgb;
  cfg.sensor_width = cfg.sensor_height = 32;
  const sim::EnvMaker maker = sim::MakeJetbot(cfg);
  std::unique_ptr<sim::MjEnv> env = maker.factory(7, 0);
  media::Image sim_image(32, 32, 3);
  std::array<float, 2> sim_obs{};
  const std::array<float, 2> policy_action = {1.7f, -0.3f};

  std::vector<media::Image> seen;
  std::vector<std::array<float, 2>> states;
  double t = 0;
  deploy::JetbotLoopIo io;
  io.now = [&] { return t; };
  io.sleep_until = [&](double until) { t = std::max(t, until); };
  io.read_frame = [&] {
    env->RenderObs(sim_image.data());
    camera::Frame f;
    f.image = sim_image;
    f.timestamp_s = t;
    f.sequence = seen.size() + 1;
    return f;
  };
  io.act = [&](const float* state, const uint8_t* image, float* action) {
    states.push_back({state[0], state[1]});
    seen.emplace_back(32, 32, 3);
    std::copy(image, image + 32 * 32 * 3, seen.back().pixels.begin());
    action[0] = policy_action[0], action[1] = policy_action[1];
  };
  std::vector<std::array<float, 2>> sim_states = {{0, 0}};
  std::vector<media::Image> sim_images;
  io.set_motors = [&](double, double) {
    sim_images.push_back(sim_image);
    env->Step(policy_action.data());  // the sim takes the same action and writes its observation
    env->WriteObs(sim_obs.data());
    sim_states.push_back(sim_obs);
  };
  deploy::JetbotLoopOptions o;
  o.image_width = o.image_height = 32;
  o.max_duty = 1.0;
  o.seconds = 3.0 / 30;
  const deploy::JetbotLoopResult r = deploy::RunJetbotLoop(o, io);
  ASSERT_EQ(r.steps, 3);
  for (int k = 0; k < 3; ++k) {
    EXPECT_EQ(seen[k].pixels, sim_images[k].pixels) << "step " << k;
    EXPECT_EQ(states[k], sim_states[k]) << "step " << k;
  }
  EXPECT_EQ(states[1], (std::array<float, 2>{1.0f, -0.3f}));  // clamped, as the sim clamps
}

// ---- the binary against the virtual Jetbot ----

bool FuseUsable() { return ::access("/dev/fuse", R_OK | W_OK) == 0 && ::geteuid() == 0; }

bool IsMountPoint(const std::string& path) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.find(" " + path + " ") != std::string::npos) return true;
  return false;
}

json LastJsonLine(const std::string& out) {
  std::istringstream in(out);
  std::string line, last;
  while (std::getline(in, line))
    if (!line.empty() && line[0] == '{') last = line;
  return last.empty() ? json() : json::parse(last);
}

std::string ReadText(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// `sim2real virtual-robot --robot jetbot` in the background, ready once its i2c file is mounted (and its
// camera socket is there); Stop() ends it with SIGTERM and returns the JSON it printed at exit.
class VirtualJetbot {
 public:
  VirtualJetbot(const fs::path& dir, bool with_camera, const std::vector<std::string>& extra = {})
      : dir_((fs::create_directories(dir), dir)),
        process_(Args(dir, with_camera, extra), (dir / "virtual_jetbot.log").string(),
                 with_camera ? std::vector<std::string>{camera()} : std::vector<std::string>{}) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (!IsMountPoint(i2c()) && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  bool ready() const { return process_.ready() && IsMountPoint(i2c()); }
  std::string i2c() const { return (dir_ / "i2c-1").string(); }
  std::string camera() const { return (dir_ / "cam").string(); }
  json Stop() {
    const int status = process_.Stop();
    const std::string log = ReadText(dir_ / "virtual_jetbot.log");
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << log;
    const json j = LastJsonLine(log);
    EXPECT_TRUE(j.is_object()) << log;
    return j;
  }

 private:
  static std::vector<std::string> Args(const fs::path& dir, bool with_camera,
                                       const std::vector<std::string>& extra) {
    std::vector<std::string> a = {"--robot", "jetbot", "--i2c-link", (dir / "i2c-1").string(), "--json"};
    if (with_camera) a.insert(a.end(), {"--camera-link", (dir / "cam").string()});
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  fs::path dir_;
  testing::VirtualRobotProcess process_;
};

// Shared by the binary tests: a folder, and the policies trained once for them.
class VirtualJetbotCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // Short: a Unix socket path is at most 107 bytes.
    root_ = new fs::path(fs::path("/tmp") / ("s2r_vjb_" + std::to_string(::getpid())));
    fs::remove_all(*root_);
    fs::create_directories(*root_);
  }
  static void TearDownTestSuite() {
    fs::remove_all(*root_);
    delete root_;
  }
  void SetUp() override {
    if (!FuseUsable()) GTEST_SKIP() << "needs root and /dev/fuse";
    static std::atomic<int> n{0};
    dir_ = *root_ / ("t" + std::to_string(n++));
    fs::create_directories(dir_);
  }

  // A tiny JetbotGoal-v0 rgb PPO policy (40x40 camera, the NatureCNN's smallest is 36x36; 64 steps of
  // training) exported to ONNX, trained at the first call ("" if that failed).
  static std::string JetbotOnnx() {
    static bool tried = false;
    static std::string path;
    if (tried) return path;
    tried = true;
    std::ofstream(*root_ / "small_camera.json") << R"({"sensor_configs": {"width": 40, "height": 40}})";
    const auto trained =
        testing::RunCli("train --algo ppo --env-id JetbotGoal-v0 --obs-mode rgb --env-kwargs-json-path " +
                        (*root_ / "small_camera.json").string() + Tiny() + " --ppo.exp-name jb");
    EXPECT_EQ(trained.exit_code, 0) << trained.out;
    const std::string onnx = (*root_ / "jb.onnx").string();
    const auto exported = testing::RunCli("export-onnx --checkpoint " +
                                          (*root_ / "jb/final_ckpt.pt").string() + " --out " + onnx);
    EXPECT_EQ(exported.exit_code, 0) << exported.out;
    if (trained.exit_code == 0 && exported.exit_code == 0) path = onnx;
    return path;
  }
  static std::string Tiny() {
    return " --ppo.num-envs 4 --ppo.num-steps 8 --ppo.num-minibatches 2 --ppo.update-epochs 1 "
           "--ppo.num-eval-envs 2 --ppo.num-eval-steps 4 --ppo.threads 2 --ppo.no-capture-video "
           "--ppo.total-timesteps 64 --json --runs-dir " +
           root_->string();
  }

  static fs::path* root_;
  fs::path dir_;
};
fs::path* VirtualJetbotCli::root_ = nullptr;

TEST_F(VirtualJetbotCli, MotorsDriveStraightThenSpinThroughTheFuseBoardAndReleaseAtTheEnd) {
  {
    VirtualJetbot robot(dir_ / "straight", false);
    ASSERT_TRUE(robot.ready());
    const auto r = testing::RunCli("motors drive --robot jetbot --i2c " + robot.i2c() +
                                   " --left 0.5 --right 0.5 --seconds 1 --json");
    ASSERT_EQ(r.exit_code, 0) << r.out;
    EXPECT_EQ(LastJsonLine(r.out)["released"], true);
    const json j = robot.Stop();
    EXPECT_GT(j["odometry"]["x"].get<double>(), 0.10) << j.dump();
    EXPECT_LT(std::abs(j["odometry"]["y"].get<double>()), 0.02) << j.dump();
    EXPECT_LT(std::abs(j["odometry"]["yaw"].get<double>()), 0.1) << j.dump();
    EXPECT_GT(j["distance"].get<double>(), 0.10);
    EXPECT_NEAR(j["max_abs_value"]["left"].get<double>(), 0.5, kQuantum);
    EXPECT_NEAR(j["max_abs_value"]["right"].get<double>(), 0.5, kQuantum);
    EXPECT_EQ(j["released"], true);  // the driver released both motors at the end
    EXPECT_EQ(j["motors"]["left"]["value"], 0.0);
    EXPECT_EQ(j["motors"]["right"]["value"], 0.0);
    EXPECT_EQ(j["nacks"], 0);
  }
  {  // The Waveshare board's pins, opposite values: a spin in place (left forward, right back: clockwise).
    VirtualJetbot robot(dir_ / "spin", false, {"--board", "waveshare"});
    ASSERT_TRUE(robot.ready());
    const auto r = testing::RunCli("motors drive --robot jetbot --board waveshare --i2c " + robot.i2c() +
                                   " --left 0.5 --right -0.5 --seconds 1 --json");
    ASSERT_EQ(r.exit_code, 0) << r.out;
    const json j = robot.Stop();
    EXPECT_LT(j["odometry"]["yaw"].get<double>(), -1.0) << j.dump();
    EXPECT_LT(std::hypot(j["odometry"]["x"].get<double>(), j["odometry"]["y"].get<double>()), 0.05)
        << j.dump();
    EXPECT_EQ(j["released"], true);
    EXPECT_EQ(j["board"], "waveshare");
  }
}

TEST_F(VirtualJetbotCli, EvalRealRunsAnOnnxPolicyOnTheVirtualJetbotWithinMaxDutyAndReleases) {
  const std::string onnx = JetbotOnnx();
  ASSERT_FALSE(onnx.empty());
  VirtualJetbot robot(dir_, true);
  ASSERT_TRUE(robot.ready());
  const auto r =
      testing::RunCli("eval --real --robot jetbot --checkpoint " + onnx + " --i2c " + robot.i2c() +
                          " --camera virtual:" + robot.camera() +
                          " --max-duty 0.2 --seconds 2 --json --record-dir " + (dir_ / "rec").string(),
                      false);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const json e = LastJsonLine(r.out);
  ASSERT_TRUE(e.is_object()) << r.out;
  EXPECT_EQ(e["robot"], "jetbot");
  EXPECT_EQ(e["env_id"], "JetbotGoal-v0");
  EXPECT_EQ(e["image_width"], 40);
  EXPECT_GT(e["steps"].get<int>(), 20) << e.dump();  // ~60 at 30 Hz on an idle machine
  EXPECT_GE(e["seconds"].get<double>(), 1.95);
  EXPECT_GT(e["loop_hz"].get<double>(), 10.0);
  EXPECT_EQ(e["released"], true);
  EXPECT_EQ(e["interrupted"], false);
  for (const char* k : {"median", "p95"}) EXPECT_GT(e["latency_ms"][k].get<double>(), 0.0) << e.dump();
  EXPECT_GE(e["frame_age_ms"]["median"].get<double>(), 0.0);
  EXPECT_GT(e["new_frames"].get<int>(), 0);
  EXPECT_LE(e["max_abs_value"].get<double>(), 0.2 + 1e-9);
  ASSERT_TRUE(e["video"].is_string()) << e.dump();
  EXPECT_GT(fs::file_size(e["video"].get<std::string>()), 500u);
  // What the board saw: PWM writes within --max-duty, and both motors released at the end.
  const json v = robot.Stop();
  EXPECT_GT(v["transactions"].get<int>(), 6 * e["steps"].get<int>());
  EXPECT_LE(v["max_abs_value"]["left"].get<double>(), 0.2 + kQuantum);
  EXPECT_LE(v["max_abs_value"]["right"].get<double>(), 0.2 + kQuantum);
  EXPECT_EQ(v["released"], true);
  EXPECT_EQ(v["nacks"], 0);
}

// `sim2real eval --real --robot jetbot` for 60 s in the background against `i2c` and `camera`, its stdout and
// stderr into files.
pid_t SpawnEval(const std::string& onnx, const std::string& i2c, const std::string& camera,
                const std::string& out_file, const std::string& err_file) {
  const pid_t pid =
      s2r::testing::SpawnCli({"eval", "--real", "--robot", "jetbot", "--checkpoint", onnx, "--i2c", i2c,
                              "--camera", camera, "--seconds", "60", "--max-duty", "1", "--json"},
                             out_file, err_file);
  EXPECT_GT(pid, 0);
  return pid;
}

// Waits (real time: the driver is another process) until the board's left motor is driven.
bool WaitDriving(const hw::Pca9685FuseDevice& board) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (board.left().released && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return !board.left().released;
}

// The eval process against a board and camera held by this test: Ctrl+C mid-run releases and exits 130.
TEST_F(VirtualJetbotCli, CtrlCToAnEvaluationReleasesTheMotorsAndExits130) {
  const std::string onnx = JetbotOnnx();
  ASSERT_FALSE(onnx.empty());
  hw::Pca9685FuseDevice board((dir_ / "i2c-1").string());
  camera::FrameServer cam((dir_ / "cam").string());
  cam.SetFrameSource([] { return media::Image(224, 224, 3, 90); }, 1.0 / 30);
  const std::string out_file = (dir_ / "eval.json").string(), err_file = (dir_ / "eval.err").string();
  const pid_t pid = SpawnEval(onnx, board.path(), "virtual:" + cam.path(), out_file, err_file);
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(WaitDriving(board)) << "the evaluation never drove: " << ReadText(err_file);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ::kill(pid, SIGINT);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 130) << ReadText(err_file);
  EXPECT_TRUE(board.left().released);
  EXPECT_TRUE(board.right().released);
  const json j = LastJsonLine(ReadText(out_file));
  ASSERT_TRUE(j.is_object()) << ReadText(out_file);
  EXPECT_EQ(j["interrupted"], true);
  EXPECT_EQ(j["released"], true);
  EXPECT_GT(j["steps"].get<int>(), 0);
}

// A camera that goes away mid-run: the loop stalls on it, the watchdog releases the wheels within its
// 0.25 s, and once the camera's reconnection attempts are spent the run ends with an error naming it, the
// motors released.
TEST_F(VirtualJetbotCli, ACameraLostMidRunEndsWithAnErrorAndTheMotorsReleased) {
  const std::string onnx = JetbotOnnx();
  ASSERT_FALSE(onnx.empty());
  hw::Pca9685FuseDevice board((dir_ / "i2c-1").string());
  auto cam = std::make_unique<camera::FrameServer>((dir_ / "cam").string());
  cam->SetFrameSource([] { return media::Image(224, 224, 3, 90); }, 1.0 / 30);
  const std::string cam_path = cam->path();
  const std::string out_file = (dir_ / "eval.json").string(), err_file = (dir_ / "eval.err").string();
  const pid_t pid = SpawnEval(onnx, board.path(), "virtual:" + cam_path, out_file, err_file);
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(WaitDriving(board)) << "the evaluation never drove: " << ReadText(err_file);
  cam.reset();  // the camera is gone (its socket removed)
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_TRUE(board.left().released) << "the watchdog releases a stalled loop";
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1) << ReadText(err_file);
  EXPECT_THAT(ReadText(err_file), HasSubstr(cam_path));
  EXPECT_TRUE(board.left().released);
  EXPECT_TRUE(board.right().released);
}

TEST_F(VirtualJetbotCli, OtherPoliciesAndBadFlagsAreRefusedNamingTheFlagBeforeTheBoardIsTouched) {
  // An SO-100 policy: refused naming --checkpoint (the board is a path that does not exist: never opened).
  const auto so100 = testing::RunCli("train --obs-mode state" + Tiny() + " --ppo.exp-name so100");
  ASSERT_EQ(so100.exit_code, 0) << so100.out;
  const std::string pt = (*root_ / "so100/final_ckpt.pt").string();
  const auto refused = testing::RunCli("eval --real --robot jetbot --checkpoint " + pt +
                                       " --i2c /nonexistent/i2c-1 --camera virtual:/nonexistent/cam");
  EXPECT_EQ(refused.exit_code, 2) << refused.out;
  EXPECT_THAT(refused.out, HasSubstr("--checkpoint " + pt));
  EXPECT_THAT(refused.out, HasSubstr("SO100GraspCube-v1"));
  EXPECT_THAT(refused.out, Not(HasSubstr("/nonexistent/i2c-1")));

  const std::string onnx = JetbotOnnx();
  ASSERT_FALSE(onnx.empty());
  const std::string base = "eval --real --robot jetbot --checkpoint " + onnx + " --i2c /nonexistent/i2c-1 ";
  const std::pair<std::string, std::string> cases[] = {
      {"--max-duty 0", "--max-duty"},
      {"--max-duty 1.5", "--max-duty"},
      {"--max-duty -0.1", "--max-duty"},
      {"--seconds -1", "--seconds"},
      {"--board sparkfun", "--board"},
      {"--address 0x99", "--address"},
      {"--camera gst:", "--camera"},
      {"--robot-port /dev/ttyACM0", "--robot-port"},
      {"--num-episodes 3", "--num-episodes"},
      {"--scripted", "--scripted"},
      {"--env-id SO100GraspCube-v1", "--env-id"},
  };
  for (const auto& [flags, named] : cases) {
    const auto r = testing::RunCli(base + flags);
    EXPECT_EQ(r.exit_code, 2) << flags << "\n" << r.out;
    EXPECT_THAT(r.out, HasSubstr(named)) << flags;
    EXPECT_THAT(r.out, Not(HasSubstr("/nonexistent/i2c-1"))) << "the board was opened first: " << flags;
  }
  // Jetbot flags on the SO-100 path, and --robot jetbot without --real.
  const auto so100_flags =
      testing::RunCli("eval --real --scripted --max-duty 0.5 --robot-port /nonexistent/tty");
  EXPECT_EQ(so100_flags.exit_code, 2) << so100_flags.out;
  EXPECT_THAT(so100_flags.out, HasSubstr("--max-duty"));
  const auto sim = testing::RunCli("eval --robot jetbot --checkpoint " + onnx);
  EXPECT_EQ(sim.exit_code, 2) << sim.out;
  EXPECT_THAT(sim.out, HasSubstr("--real"));
}

TEST(VirtualJetbotFlags, EachRobotsFlagsAreRefusedWithTheOtherNamingThem) {
  const std::pair<std::string, std::string> cases[] = {
      {"--robot jetbot", "--i2c-link"},  // required
      {"--robot jetbot --i2c-link /nonexistent/i2c-1 --port-link /tmp/x", "--port-link"},
      {"--robot jetbot --i2c-link /nonexistent/i2c-1 --write-calibration vr", "--write-calibration"},
      {"--robot jetbot --i2c-link /nonexistent/i2c-1 --board sparkfun", "--board"},
      {"--robot jetbot --i2c-link /nonexistent/i2c-1 --address 0x80", "--address"},
      {"--robot jetbot --i2c-link /nonexistent/i2c-1 --camera-width 0", "--camera-width"},
      {"--i2c-link /nonexistent/i2c-1", "--i2c-link"},  // an SO-100 robot
      {"--robot so100 --camera-width 320", "--camera-width"},
  };
  for (const auto& [flags, named] : cases) {
    const auto r = testing::RunCli("virtual-robot " + flags);
    EXPECT_EQ(r.exit_code, 2) << flags << "\n" << r.out;
    EXPECT_THAT(r.out, HasSubstr(named)) << flags;
  }
}

}  // namespace
}  // namespace s2r
