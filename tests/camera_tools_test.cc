// End-to-end tests of the camera tools of the built binary: `sim2real align-camera` (headless overlay, key
// sequences, writing the env config with a backup, quitting, errors, the real window under Xvfb) and
// `sim2real capture-background` (one frame, cropped and resized to the configured sensor size). The
// cameras are real: a FrameServer over a Unix socket (virtual:PATH) and an MP4 written by Mp4Writer.
// Expected images are computed here from the same inputs with the library functions (never by the tool).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>

#include "app/config_load.h"
#include "camera/camera.h"
#include "camera/frame_server.h"
#include "camera/open_camera.h"
#include "cli_run.h"
#include "core/error.h"
#include "core/joint_map.h"
#include "core/so100_layout.h"
#include "hw/calibration.h"
#include "hw/feetech/bus.h"
#include "media/image.h"
#include "media/video_writer.h"
#include "render/batch_renderer.h"
#include "sim/grasp_cube_env.h"
#include "virtual_robot_process.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;
using namespace s2r;

using s2r::testing::RunCli;
using s2r::testing::RunResult;

json ParseJson(const std::string& out) {
  try {
    return json::parse(out);
  } catch (const json::parse_error& e) {
    ADD_FAILURE() << "not JSON (" << e.what() << "):\n" << out;
    return json::object();
  }
}

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A 640x480 test card: gradients plus blocks, so a wrong crop, resize or channel order shows.
media::Image TestCard(int w = 640, int h = 480, int variant = 0) {
  media::Image img(w, h, 3);
  for (int r = 0; r < h; ++r)
    for (int c = 0; c < w; ++c) {
      uint8_t* p = img.at(r, c);
      p[0] = static_cast<uint8_t>((c * 255) / (w - 1));
      p[1] = static_cast<uint8_t>((r * 255) / (h - 1));
      p[2] = static_cast<uint8_t>(((r / 40 + c / 40 + variant) % 2) ? 220 : 30);
    }
  return img;
}

// Serves `frame` at `path`, refreshed every 20 ms so the virtual camera never sees a stale frame.
class LiveFrameServer {
 public:
  LiveFrameServer(const std::string& path, media::Image frame) : server_(path), frame_(std::move(frame)) {
    server_.SetFrame(frame_);
    thread_ = std::thread([this] {
      while (!stop_) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        server_.SetFrame(frame_);
      }
    });
  }
  ~LiveFrameServer() {
    stop_ = true;
    thread_.join();
  }
  std::string spec() const { return "virtual:" + server_.path(); }

 private:
  camera::FrameServer server_;
  media::Image frame_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

const char* kEnvConfig = R"({
  "base_camera_settings": {
    "pos": [0.69, 0.37, 0.28],
    "fov": 0.8256,
    "target": [0.185, -0.15, 0.0]
  },
  "greenscreen_overlay_path": null,
  "spawn_box_pos": [0.3, 0.05],
  "spawn_box_half_size": 0.1,
  "sensor_configs": {"width": 96, "height": 80},
  "domain_randomization_config": {
    "robot_color": null,
    "cube_friction_mean": 0.31
  }
}
)";

class CameraToolsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ = fs::temp_directory_path() /
           ("s2r_camtools_" + std::to_string(getpid()) + "_" + std::to_string(counter++));
    fs::create_directories(dir_);
    config_ = Path("env_config.json");
    std::ofstream(config_) << kEnvConfig;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  fs::path dir_;
  std::string config_;
};

// The sim half of the overlay, computed here: the env config with DR off, the arm at rest, the camera at
// `cam`, the CPU batch renderer at size x size.
media::Image ExpectedSimRender(const std::string& config_path, const sim::CameraSettings& cam, int size) {
  sim::GraspCubeConfig cfg = app::LoadGraspCubeConfig(config_path);
  cfg.domain_randomization = false;
  cfg.greenscreen_overlay_path.clear();
  auto cfg_ptr = std::make_shared<const sim::GraspCubeConfig>(cfg);
  sim::GraspCubeEnv env(sim::LoadGraspCubeScene(cfg), cfg_ptr, /*seed=*/0, 0);
  for (int j = 0; j < so100::kNumJoints; ++j) env.data()->qpos[env.ids().qpos_adr[j]] = so100::kRestQpos[j];
  env.Refresh();
  render::BatchRenderer renderer(env.model(), size, size);
  render::CameraPose pose;
  pose.eye = cam.pos, pose.target = cam.target, pose.roll = 0, pose.fovy = cam.fov;
  media::Image out(size, size, 3);
  renderer.Render(env.model(), env.data(), pose, env.lighting(), out.data(), nullptr);
  return out;
}

// Largest per-byte difference.
int MaxDiff(const media::Image& a, const media::Image& b) {
  int m = 0;
  for (size_t i = 0; i < a.pixels.size(); ++i) m = std::max(m, std::abs(int(a.pixels[i]) - int(b.pixels[i])));
  return m;
}
double MeanDiff(const media::Image& a, const media::Image& b) {
  double s = 0;
  for (size_t i = 0; i < a.pixels.size(); ++i) s += std::abs(int(a.pixels[i]) - int(b.pixels[i]));
  return s / static_cast<double>(a.pixels.size());
}

void ExpectOverlay(const media::Image& got, const media::Image& real, const media::Image& sim) {
  ASSERT_EQ(got.width, real.width);
  ASSERT_EQ(got.height, real.height);
  ASSERT_EQ(got.channels, 3);
  int worst = 0;
  for (size_t i = 0; i < got.pixels.size(); ++i) {
    const double want = 0.5 * real.pixels[i] + 0.5 * sim.pixels[i];
    worst = std::max(worst, static_cast<int>(std::ceil(std::abs(got.pixels[i] - want))));
  }
  EXPECT_LE(worst, 1) << "overlay differs from 0.5 real + 0.5 sim by more than rounding";
  // Both halves matter: the overlay is far from either input alone.
  EXPECT_GT(MeanDiff(got, real), 5.0);
  EXPECT_GT(MeanDiff(got, sim), 5.0);
}

// ---------------------------------------------------------------------------------------------------
// align-camera

TEST_F(CameraToolsTest, HeadlessOverlayIsHalfRealFrameHalfSimRender) {
  const media::Image card = TestCard();
  LiveFrameServer server(Path("cam.sock"), card);
  const std::string out = Path("overlay.png");
  const RunResult r = RunCli("align-camera --no-robot --headless --json --camera " + server.spec() +
                                 " --env-kwargs-json-path " + config_ + " --out " + out,
                             false);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const json j = ParseJson(r.out);
  EXPECT_EQ(j["saved"], false);
  EXPECT_EQ(j["window"], false);
  EXPECT_EQ(j["overlay"], out);
  const media::Image got = media::ReadImage(out, "overlay");
  ASSERT_EQ(got.width, 512);
  ASSERT_EQ(got.height, 512);

  const sim::CameraSettings file_cam = app::LoadGraspCubeConfig(config_).base_camera_settings;
  const media::Image real = camera::PreprocessObservation(card, 512, 512);
  const media::Image sim = ExpectedSimRender(config_, file_cam, 512);
  ExpectOverlay(got, real, sim);
  // The env config is untouched without Enter.
  EXPECT_EQ(ReadBytes(config_), kEnvConfig);
  EXPECT_FALSE(fs::exists(config_ + ".bak"));
}

TEST_F(CameraToolsTest, KeysMoveTheCameraAndEnterWritesTheConfigWithABackup) {
  LiveFrameServer server(Path("cam.sock"), TestCard());
  const std::string out = Path("overlay.png");
  const RunResult r = RunCli("align-camera --no-robot --headless --json --keys 'wwd<enter>' --camera " +
                                 server.spec() + " --env-kwargs-json-path " + config_ + " --out " + out,
                             false);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const json j = ParseJson(r.out);
  // w: x - 0.01 (twice), d: y + 0.01 (the documented default --step).
  const std::array<double, 3> want_pos = {0.69 - 0.02, 0.37 + 0.01, 0.28};
  const std::array<double, 3> want_target = {0.185, -0.15, 0.0};
  for (int k = 0; k < 3; ++k) {
    EXPECT_NEAR(j["pos"][k].get<double>(), want_pos[k], 1e-9) << k;
    EXPECT_NEAR(j["target"][k].get<double>(), want_target[k], 1e-9) << k;
  }
  EXPECT_NEAR(j["fov"].get<double>(), 0.8256, 1e-12);
  EXPECT_EQ(j["saved"], true);
  EXPECT_EQ(j["backup"], config_ + ".bak");

  // The backup is the original, byte for byte.
  ASSERT_TRUE(fs::exists(config_ + ".bak"));
  EXPECT_EQ(ReadBytes(config_ + ".bak"), kEnvConfig);
  // Every other key is kept, in its order; only the camera changed.
  const json before = json::parse(kEnvConfig);
  const nlohmann::ordered_json after_ordered = nlohmann::ordered_json::parse(ReadBytes(config_));
  json after = json::parse(ReadBytes(config_));
  std::vector<std::string> keys_before, keys_after;
  const nlohmann::ordered_json before_ordered = nlohmann::ordered_json::parse(kEnvConfig);
  for (const auto& [k, v] : before_ordered.items()) keys_before.push_back(k);
  for (const auto& [k, v] : after_ordered.items()) keys_after.push_back(k);
  EXPECT_EQ(keys_after, keys_before);
  for (const auto& [k, v] : before.items()) {
    if (k == "base_camera_settings") continue;
    EXPECT_EQ(after[k], v) << k;
  }
  EXPECT_EQ(after["base_camera_settings"].size(), 3u);
  // Written as people write it: plain arrays on one line.
  EXPECT_THAT(ReadBytes(config_), HasSubstr("\"pos\": [0.67, 0.38, 0.28]"));
  // The config loader reads the new values.
  const sim::GraspCubeConfig cfg = app::LoadGraspCubeConfig(config_);
  for (int k = 0; k < 3; ++k) {
    EXPECT_NEAR(cfg.base_camera_settings.pos[k], want_pos[k], 1e-9) << k;
    EXPECT_NEAR(cfg.base_camera_settings.target[k], want_target[k], 1e-9) << k;
  }
  EXPECT_NEAR(cfg.base_camera_settings.fov, 0.8256, 1e-12);
  EXPECT_NEAR(cfg.domain_randomization_config.cube_friction_mean, 0.31, 1e-12);
  EXPECT_EQ(cfg.sensor_width, 96);

  // The overlay was rendered from the moved camera, not the file's.
  const media::Image got = media::ReadImage(out, "overlay");
  const media::Image real = camera::PreprocessObservation(TestCard(), 512, 512);
  ExpectOverlay(got, real, ExpectedSimRender(config_, cfg.base_camera_settings, 512));
}

TEST_F(CameraToolsTest, ArrowsFovTargetShiftAndBackspace) {
  LiveFrameServer server(Path("cam.sock"), TestCard());
  const std::string base = "align-camera --no-robot --headless --json --camera " + server.spec() +
                           " --env-kwargs-json-path " + config_ + " --out " + Path("o.png");
  {
    // Up: z + 0.01; Right: fov + 0.01; u: target z + 0.01; j: target y - 0.01; i: target x - 0.01;
    // W (Shift): x - 0.001; Left twice: fov - 0.02.
    const RunResult r = RunCli(base + " --keys '<up><right>ujiW<left><left>'", false);
    ASSERT_EQ(r.exit_code, 0) << r.out;
    const json j = ParseJson(r.out);
    EXPECT_NEAR(j["pos"][0].get<double>(), 0.689, 1e-9);
    EXPECT_NEAR(j["pos"][1].get<double>(), 0.37, 1e-9);
    EXPECT_NEAR(j["pos"][2].get<double>(), 0.29, 1e-9);
    EXPECT_NEAR(j["target"][0].get<double>(), 0.175, 1e-9);
    EXPECT_NEAR(j["target"][1].get<double>(), -0.16, 1e-9);
    EXPECT_NEAR(j["target"][2].get<double>(), 0.01, 1e-9);
    EXPECT_NEAR(j["fov"].get<double>(), 0.8156, 1e-9);
    EXPECT_EQ(j["saved"], false);
  }
  {
    // s d <down> k l o, then Backspace: back to the file's values; --step scales the moves.
    const RunResult r = RunCli(base + " --step 0.05 --keys 'sd<down>klo<backspace>s'", false);
    ASSERT_EQ(r.exit_code, 0) << r.out;
    const json j = ParseJson(r.out);
    EXPECT_NEAR(j["pos"][0].get<double>(), 0.74, 1e-9);  // only the s after the reset counts
    EXPECT_NEAR(j["pos"][1].get<double>(), 0.37, 1e-9);
    EXPECT_NEAR(j["pos"][2].get<double>(), 0.28, 1e-9);
    EXPECT_NEAR(j["target"][0].get<double>(), 0.185, 1e-9);
    EXPECT_NEAR(j["target"][2].get<double>(), 0.0, 1e-9);
  }
  EXPECT_EQ(ReadBytes(config_), kEnvConfig);
}

TEST_F(CameraToolsTest, QuitAndEscapeDoNotWrite) {
  LiveFrameServer server(Path("cam.sock"), TestCard());
  for (const std::string keys : {"wwq<enter>", "d<esc><enter>"}) {
    const RunResult r =
        RunCli("align-camera --no-robot --headless --json --keys '" + keys + "' --camera " + server.spec() +
                   " --env-kwargs-json-path " + config_ + " --out " + Path("o.png"),
               false);
    ASSERT_EQ(r.exit_code, 0) << keys << ": " << r.out;
    const json j = ParseJson(r.out);
    EXPECT_EQ(j["saved"], false) << keys;
    EXPECT_THAT(j["ended_by"].get<std::string>(), HasSubstr(keys[0] == 'w' ? "q" : "<esc>"));
    EXPECT_NE(j["pos"], json::parse(kEnvConfig)["base_camera_settings"]["pos"])
        << "the keys before quit count";
    EXPECT_EQ(ReadBytes(config_), kEnvConfig) << keys;
    EXPECT_FALSE(fs::exists(config_ + ".bak")) << keys;
  }
}

TEST_F(CameraToolsTest, BadInputsNameTheFlagOrFile) {
  LiveFrameServer server(Path("cam.sock"), TestCard());
  const std::string cam = " --camera " + server.spec();
  {  // Enter without a config file to write.
    const RunResult r = RunCli(
        "align-camera --no-robot --headless --out " + Path("o.png") + cam + " --keys 'w<enter>'", true);
    EXPECT_EQ(r.exit_code, 2) << r.out;
    EXPECT_THAT(r.out, HasSubstr("--env-kwargs-json-path"));
    EXPECT_FALSE(fs::exists(Path("o.png")));
  }
  {  // A camera spec that is neither index, device, video file nor virtual:PATH.
    const RunResult r = RunCli("align-camera --no-robot --headless --out " + Path("o.png") +
                                   " --camera not_a_camera.txt --env-kwargs-json-path " + config_,
                               true);
    EXPECT_EQ(r.exit_code, 2) << r.out;
    EXPECT_THAT(r.out, HasSubstr("--camera"));
    EXPECT_THAT(r.out, HasSubstr("not_a_camera.txt"));
  }
  {  // A virtual camera nobody serves.
    const RunResult r =
        RunCli("align-camera --no-robot --headless --out " + Path("o.png") +
                   " --camera virtual:" + Path("nobody.sock") + " --env-kwargs-json-path " + config_,
               true);
    EXPECT_NE(r.exit_code, 0) << r.out;
    EXPECT_THAT(r.out, HasSubstr("nobody.sock"));
  }
  {  // Unknown key names and unbound keys.
    const RunResult r1 =
        RunCli("align-camera --no-robot --headless --out " + Path("o.png") + cam + " --keys 'w<pgup>'", true);
    EXPECT_EQ(r1.exit_code, 2) << r1.out;
    EXPECT_THAT(r1.out, HasSubstr("--keys"));
    EXPECT_THAT(r1.out, HasSubstr("<pgup>"));
    const RunResult r2 =
        RunCli("align-camera --no-robot --headless --out " + Path("o.png") + cam + " --keys 'wz'", true);
    EXPECT_EQ(r2.exit_code, 2) << r2.out;
    EXPECT_THAT(r2.out, HasSubstr("--keys"));
  }
  {  // A missing env config file.
    const RunResult r = RunCli("align-camera --no-robot --headless --out " + Path("o.png") + cam +
                                   " --env-kwargs-json-path " + Path("missing.json"),
                               true);
    EXPECT_EQ(r.exit_code, 2) << r.out;
    EXPECT_THAT(r.out, HasSubstr("missing.json"));
  }
  {  // --headless needs --out; a window needs a display.
    const RunResult r1 = RunCli("align-camera --no-robot --headless" + cam, true);
    EXPECT_EQ(r1.exit_code, 2) << r1.out;
    EXPECT_THAT(r1.out, HasSubstr("--out"));
    const RunResult r2 = RunCli("align-camera --no-robot" + cam, true, "env -u DISPLAY -u WAYLAND_DISPLAY");
    EXPECT_EQ(r2.exit_code, 2) << r2.out;
    EXPECT_THAT(r2.out, HasSubstr("DISPLAY"));
  }
  {  // capture-background: a bad camera spec, and --out missing.
    const RunResult r1 =
        RunCli("capture-background --no-robot --camera not_a_camera.txt --out " + Path("bg.png"), true);
    EXPECT_EQ(r1.exit_code, 2) << r1.out;
    EXPECT_THAT(r1.out, HasSubstr("--camera"));
    EXPECT_FALSE(fs::exists(Path("bg.png")));
    const RunResult r2 = RunCli("capture-background --no-robot" + cam, true);
    EXPECT_NE(r2.exit_code, 0) << r2.out;
    EXPECT_THAT(r2.out, HasSubstr("--out"));
  }
  // Nothing above touched the config.
  EXPECT_EQ(ReadBytes(config_), kEnvConfig);
}

TEST(UpdateEnvConfigCameraTest, RefusesInvalidValuesAndMissingFilesWithoutWriting) {
  const fs::path dir = fs::temp_directory_path() / ("s2r_camtools_u_" + std::to_string(getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / "env.json").string();
  std::ofstream(path) << kEnvConfig;
  sim::CameraSettings bad;
  bad.pos = {0.1, 0.2, 0.3};
  bad.target = {0.1, 0.2, 0.3};  // pos == target: no view direction
  EXPECT_THROW(app::UpdateEnvConfigCamera(path, bad), ConfigError);
  EXPECT_EQ(ReadBytes(path), kEnvConfig);
  EXPECT_FALSE(fs::exists(path + ".bak"));
  try {
    app::UpdateEnvConfigCamera((dir / "nope.json").string(), sim::CameraSettings{});
    ADD_FAILURE() << "no error for a missing file";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("nope.json"));
  }
  // A file without base_camera_settings gets one; the other keys stay.
  std::ofstream(path, std::ios::trunc) << R"({"spawn_box_half_size": 0.05})";
  sim::CameraSettings good;
  good.pos = {0.5, 0.25, 0.4};
  good.fov = 0.7;
  EXPECT_EQ(app::UpdateEnvConfigCamera(path, good), path + ".bak");
  const sim::GraspCubeConfig cfg = app::LoadGraspCubeConfig(path);
  EXPECT_NEAR(cfg.spawn_box_half_size, 0.05, 1e-12);
  EXPECT_NEAR(cfg.base_camera_settings.pos[1], 0.25, 1e-12);
  EXPECT_NEAR(cfg.base_camera_settings.fov, 0.7, 1e-12);
  EXPECT_EQ(ReadBytes(path + ".bak"), R"({"spawn_box_half_size": 0.05})");
  fs::remove_all(dir);
}

TEST_F(CameraToolsTest, WindowUnderXvfbOpensAndEnterWrites) {
  if (std::system("command -v xvfb-run >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "xvfb-run is not installed (apt-get install -y xvfb) so no X server can host the window";
  LiveFrameServer server(Path("cam.sock"), TestCard());
  const RunResult r = RunCli("align-camera --no-robot --json --keys '<enter>' --camera " + server.spec() +
                                 " --env-kwargs-json-path " + config_ + " --out " + Path("last.png"),
                             false, "xvfb-run -a -s '-screen 0 1024x768x24'");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const json j = ParseJson(r.out);
  EXPECT_EQ(j["window"], true);
  EXPECT_EQ(j["saved"], true);
  EXPECT_EQ(j["ended_by"], "keys <enter>");
  EXPECT_EQ(ReadBytes(config_ + ".bak"), kEnvConfig);
  EXPECT_NE(ReadBytes(config_), kEnvConfig);  // rewritten (re-indented), same camera
  const sim::GraspCubeConfig cfg = app::LoadGraspCubeConfig(config_);
  EXPECT_NEAR(cfg.base_camera_settings.pos[0], 0.69, 1e-12);
  EXPECT_NEAR(cfg.base_camera_settings.fov, 0.8256, 1e-12);
  // The last overlay shown (saved without the text) is the blend.
  ExpectOverlay(media::ReadImage(Path("last.png"), "overlay"),
                camera::PreprocessObservation(TestCard(), 512, 512),
                ExpectedSimRender(config_, cfg.base_camera_settings, 512));
}

// ---------------------------------------------------------------------------------------------------
// capture-background

TEST_F(CameraToolsTest, CaptureBackgroundSavesTheFirstVideoFrameAtTheSensorSize) {
  const std::string video = Path("scene.mp4");
  {
    media::Mp4Writer w(video, 640, 480, 10);
    for (int i = 0; i < 3; ++i) w.AddFrame(TestCard(640, 480, i));
    w.Close();
  }
  const std::string out = Path("sub/greenscreen.png");
  const RunResult r = RunCli("capture-background --no-robot --json --camera " + video +
                                 " --env-kwargs-json-path " + config_ + " --out " + out,
                             false);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const json j = ParseJson(r.out);
  EXPECT_EQ(j["path"], out);
  EXPECT_EQ(j["width"], 96);
  EXPECT_EQ(j["height"], 80);
  EXPECT_EQ(j["torque_off"], false);
  const media::Image got = media::ReadImage(out, "background");
  ASSERT_EQ(got.width, 96);  // sensor_configs of the env config
  ASSERT_EQ(got.height, 80);
  // The same first frame, decoded by the same camera class, preprocessed as a policy observation.
  auto cam = camera::OpenCamera(video, camera::CameraOptions{});
  const media::Image want = camera::PreprocessObservation(cam->Read().image, 96, 80);
  EXPECT_EQ(MaxDiff(got, want), 0);
  // And it is the first frame, not a later one.
  const media::Image second = camera::PreprocessObservation(cam->Read().image, 96, 80);
  EXPECT_GT(MeanDiff(got, second), 20.0);
  EXPECT_EQ(fs::directory_iterator(Path("sub")) == fs::directory_iterator(), false);
  int files = 0;
  for (const auto& e : fs::directory_iterator(Path("sub"))) files += e.is_regular_file();
  EXPECT_EQ(files, 1) << "no temporary file is left beside the PNG";
}

TEST_F(CameraToolsTest, CaptureBackgroundDefaultSensorIs128AndPrintsThePath) {
  const media::Image card = TestCard();
  LiveFrameServer server(Path("cam.sock"), card);
  const std::string out = Path("bg.png");
  const RunResult r =
      RunCli("capture-background --no-robot --camera " + server.spec() + " --out " + out, false);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out, out + "\n");
  const media::Image got = media::ReadImage(out, "background");
  ASSERT_EQ(got.width, 128);
  ASSERT_EQ(got.height, 128);
  EXPECT_EQ(MaxDiff(got, camera::PreprocessObservation(card, 128, 128)), 0);
}

// ---------------------------------------------------------------------------------------------------
// With an arm: `sim2real virtual-robot` (emulated servos on a pseudo-terminal, its twin's camera on a socket)

using VirtualRobot = s2r::testing::VirtualArm;

constexpr std::array<int, 6> kIds = {1, 2, 3, 4, 5, 6};

// find-cameras opens every device the patterns match, reads a frame and saves it: here the virtual robot's
// camera socket (read as virtual:PATH) and a plain file that cannot capture, which is listed with the reason.
TEST_F(CameraToolsTest, FindCamerasSavesAFrameOfEachCameraAndNamesTheOnesThatCannotCapture) {
  VirtualRobot robot(dir_);
  ASSERT_TRUE(robot.ready());
  std::ofstream(Path("video9")) << "not a camera";
  const RunResult r = RunCli("find-cameras --pattern " + robot.camera() + " --pattern " + Path("video*") +
                                 " --out-dir " + Path("shots") + " --timeout 5 --json",
                             false);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const json j = ParseJson(r.out);
  EXPECT_EQ(j["usable"], 1);
  ASSERT_EQ(j["cameras"].size(), 2u) << r.out;
  const json& cam = j["cameras"][0];
  EXPECT_EQ(cam["path"], robot.camera());
  EXPECT_EQ(cam["camera"], "virtual:" + robot.camera());
  EXPECT_EQ(cam["ok"], true);
  ASSERT_TRUE(cam["image"].is_string()) << r.out;
  const media::Image shot = media::ReadImage(cam["image"].get<std::string>(), "saved frame");
  EXPECT_EQ(shot.width, cam["width"].get<int>());
  EXPECT_EQ(shot.height, cam["height"].get<int>());
  EXPECT_GT(shot.width, 0);
  const json& bad = j["cameras"][1];
  EXPECT_EQ(bad["path"], Path("video9"));
  EXPECT_EQ(bad["ok"], false);
  EXPECT_TRUE(bad["image"].is_null());
  EXPECT_NE(bad["error"].get<std::string>().find("video9"), std::string::npos) << r.out;
  // Nothing matched: said so, and still exit 0 (an empty list is an answer).
  const RunResult none = RunCli("find-cameras --pattern " + Path("nothing*") + " --no-save");
  EXPECT_EQ(none.exit_code, 0) << none.out;
  EXPECT_NE(none.out.find("no cameras found"), std::string::npos) << none.out;
}

TEST_F(CameraToolsTest, CaptureBackgroundTurnsTorqueOffOnTheArm) {
  VirtualRobot robot(dir_);
  ASSERT_TRUE(robot.ready());
  {
    hw::feetech::FeetechBus bus(robot.port());
    bus.EnableTorque(kIds, 2);
    for (int id : kIds) ASSERT_EQ(bus.Read(id, hw::feetech::Register::kTorqueEnable, 2), 1) << id;
  }  // the port is released (closing it does not touch the servos)
  const std::string out = Path("bg.png");
  const RunResult r = RunCli("capture-background --no-wait --json --robot-port " + robot.port() +
                                 " --camera virtual:" + robot.camera() + " --out " + out,
                             false);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const json j = ParseJson(r.out);
  EXPECT_EQ(j["torque_off"], true);
  const media::Image got = media::ReadImage(out, "background");
  EXPECT_EQ(got.width, 128);
  EXPECT_EQ(got.height, 128);
  hw::feetech::FeetechBus bus(robot.port());
  for (int id : kIds) EXPECT_EQ(bus.Read(id, hw::feetech::Register::kTorqueEnable, 2), 0) << "servo " << id;
}

TEST_F(CameraToolsTest, AlignCameraWithTheArmMovesNothingByDefaultAndToRestWithMoveToRest) {
  VirtualRobot robot(dir_);
  ASSERT_TRUE(robot.ready());
  const hw::Calibration cal = hw::ReadCalibrationFile(fs::path(robot.cal_dir()) / "vr.json");
  const JointMap map = app::LoadRobotConfig(app::DefaultRobotConfigPath("so100")).joint_map;
  auto pan_deg = [&](hw::feetech::FeetechBus& bus) {
    return hw::Normalize(cal.At("shoulder_pan"), hw::MotorNormMode::kDegrees,
                         bus.Read(1, hw::feetech::Register::kPresentPosition, 2));
  };
  const double rest_pan = map.ToDegrees(0, so100::kRestQpos[0]);
  double moved = 0;
  {  // Turn the base away from rest under torque, then let go of the port.
    hw::feetech::FeetechBus bus(robot.port());
    bus.EnableTorque(kIds, 2);
    const int present = bus.Read(1, hw::feetech::Register::kPresentPosition, 2);
    bus.Write(1, hw::feetech::Register::kGoalPosition, present + 300, 2);  // ~26 deg
    const double goal = hw::Normalize(cal.At("shoulder_pan"), hw::MotorNormMode::kDegrees, present + 300);
    for (int i = 0; i < 100 && std::abs(pan_deg(bus) - goal) > 0.5; ++i)  // until it stands still there
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    moved = pan_deg(bus);
    ASSERT_GT(std::abs(moved - rest_pan), 20) << "the virtual arm did not turn";
  }
  const std::string flags = " --headless --json --robot-port " + robot.port() +
                            " --robot-id vr --calibration-dir " + robot.cal_dir() +
                            " --camera virtual:" + robot.camera() + " --env-kwargs-json-path " + config_ +
                            " --out " + Path("o.png");
  {  // Default: the arm is read, not moved.
    const RunResult r = RunCli("align-camera" + flags, false);
    ASSERT_EQ(r.exit_code, 0) << r.out;
    EXPECT_EQ(ParseJson(r.out)["robot"], true);
    hw::feetech::FeetechBus bus(robot.port());
    EXPECT_NEAR(pan_deg(bus), moved, 3.0) << "align-camera moved the arm without --move-to-rest";
    for (int id : kIds) EXPECT_EQ(bus.Read(id, hw::feetech::Register::kTorqueEnable, 2), 0) << "servo " << id;
  }
  {  // --move-to-rest: slowly back to rest, torque off at exit.
    const RunResult r = RunCli("align-camera --move-to-rest" + flags, false);
    ASSERT_EQ(r.exit_code, 0) << r.out;
    hw::feetech::FeetechBus bus(robot.port());
    const int goal = bus.Read(1, hw::feetech::Register::kGoalPosition, 2);
    EXPECT_NEAR(hw::Normalize(cal.At("shoulder_pan"), hw::MotorNormMode::kDegrees, goal), rest_pan, 2.0);
    for (int id : kIds) EXPECT_EQ(bus.Read(id, hw::feetech::Register::kTorqueEnable, 2), 0) << "servo " << id;
  }
  EXPECT_TRUE(fs::exists(Path("o.png")));
}

}  // namespace
