// `sim2real align-camera`: lerobot-sim2real's camera_alignment.py. A live OpenCV window shows the real
// camera frame (centre-cropped and resized as the policy sees it, at --size for visibility) blended 50/50
// with the twin's render from the camera settings being edited; keys move the camera until both line up,
// and Enter writes the new base_camera_settings into the env config (a backup is kept).
//
// Keys (one press = one step; --step m, --fov-step rad; Shift + a letter = a tenth of a step):
//   w / s          camera pos x - / +          (the reference's bindings)
//   a / d          camera pos y - / +
//   Up / Down      camera pos z + / -
//   Left / Right   fov - / +
//   i / k          look-at target x - / +
//   j / l          look-at target y - / +
//   u / o          look-at target z + / -
//   Backspace      back to the file's values
//   Enter          write pos/target/fov into --env-kwargs-json-path (backup F.bak) and quit
//   q / Esc        quit without writing (closing the window does the same)
//
// The sim side: the env config with domain randomization off (the camera exactly at the edited settings,
// ambient light 0.3, no greenscreen: the twin's own table and arm), the arm at the rest pose or, with a
// robot, at the real arm's measured joint positions every frame. The overlay is (real + sim + 1) / 2 per
// byte. --headless --out F writes one overlay (after --keys) without opening a window.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <opencv2/highgui.hpp>
#include <opencv2/imgproc.hpp>
#include <optional>

#include "app/align_keys.h"
#include "app/cli_util.h"
#include "app/commands.h"
#include "app/config_load.h"
#include "app/real_side.h"
#include "camera/camera.h"
#include "core/error.h"
#include "core/so100_layout.h"
#include "deploy/real_env.h"
#include "hw/calibration.h"
#include "hw/so100_follower.h"
#include "media/image.h"
#include "render/batch_renderer.h"
#include "sim/grasp_cube_env.h"

namespace s2r::app {

namespace {

struct AlignFlags {
  EnvFlags env;
  RealSideFlags real;
  bool headless = false;
  std::string out;
  std::string keys;
  bool json = false;
  bool move_to_rest = false;
  double rest_timeout_s = 20;
  int size = 512;
  uint64_t seed = 0;
  AlignSteps steps;
};

// (a + b + 1) / 2 per byte: 0.5 real + 0.5 sim, rounded half up.
media::Image Blend(const media::Image& a, const media::Image& b) {
  media::Image out(a.width, a.height, 3);
  for (size_t i = 0; i < out.pixels.size(); ++i)
    out.pixels[i] = static_cast<uint8_t>((a.pixels[i] + b.pixels[i] + 1) >> 1);
  return out;
}

// Connect errors get a hint, keeping their type (ConfigError exits 2, others 1).
[[noreturn]] void RethrowWithHint(const std::string& what) {
  const std::string hint = " (" + what + "; pass --no-robot to align with the camera only)";
  try {
    throw;
  } catch (const ConfigError& e) {
    throw ConfigError(e.what() + hint);
  } catch (const IoError& e) {
    throw IoError(e.what() + hint);
  } catch (const std::exception& e) {
    throw std::runtime_error(e.what() + hint);
  }
}

// The arm, when there is one: connected, read every frame; moved only with --move-to-rest.
struct RobotSide {
  std::unique_ptr<hw::So100Follower> robot;
  std::unique_ptr<deploy::RealGraspCubeEnv> env;  // moves the arm and reads its joints
};

void DrawText(cv::Mat& bgr, const std::string& text, int row, double scale = 0.42) {
  const cv::Point at(6, row);
  cv::putText(bgr, text, at, cv::FONT_HERSHEY_SIMPLEX, scale, cv::Scalar(0, 0, 0), 3, cv::LINE_AA);
  cv::putText(bgr, text, at, cv::FONT_HERSHEY_SIMPLEX, scale, cv::Scalar(255, 255, 255), 1, cv::LINE_AA);
}

int RunAlignCamera(const AlignFlags& f) {
  // Everything that can be checked is checked before the camera, the arm or a window is touched.
  sim::GraspCubeConfig cfg = BuildGraspCubeConfig(f.env, "align-camera");
  const sim::CameraSettings initial = cfg.base_camera_settings;
  cfg.domain_randomization = false;  // the camera exactly where the settings put it
  cfg.greenscreen_overlay_path.clear();
  cfg.Validate(f.env.env_kwargs_json_path.empty() ? "align-camera" : f.env.env_kwargs_json_path);
  const std::vector<AlignKeyPress> keys = ParseKeySequence(f.keys);
  {
    sim::CameraSettings probe = initial;
    for (const auto& k : keys) {
      if (k.key == AlignKey::kEnter && f.env.env_kwargs_json_path.empty())
        throw ConfigError(
            "--keys: <enter> writes the camera settings into the env config, but no "
            "--env-kwargs-json-path was given");
      const AlignAction a = ApplyAlignKey(k, f.steps, initial, &probe);
      if (a == AlignAction::kUnbound && k.key == AlignKey::kChar)
        throw ConfigError("--keys: '" + KeyName(k) +
                          "' is not an align-camera key (w s a d i k j l u o q, <up> <down> <left> <right> "
                          "<backspace> <enter> <esc>)");
      if (a == AlignAction::kWrite || a == AlignAction::kQuit) break;
    }
  }
  if (f.headless && f.out.empty())
    throw ConfigError("--headless: give --out overlay.png (the one overlay to write)");
  if (!f.headless) {
    const char* x = std::getenv("DISPLAY");
    const char* w = std::getenv("WAYLAND_DISPLAY");
    if ((x == nullptr || *x == 0) && (w == nullptr || *w == 0))
      throw ConfigError(
          "align-camera: no display (DISPLAY is not set) for the window: run it on a desktop, under "
          "xvfb-run, or pass --headless --out overlay.png");
  }
  if (f.move_to_rest && f.real.no_robot) throw ConfigError("--move-to-rest: needs the arm (drop --no-robot)");

  // Progress lines go to stdout, or to stderr when stdout carries the JSON result.
  FILE* info = f.json ? stderr : stdout;
  const RobotConfig rc = LoadRealRobotConfig(f.real);
  std::unique_ptr<camera::Camera> cam = OpenRealCamera(f.real, rc, /*loop=*/!f.headless);

  auto cfg_ptr = std::make_shared<const sim::GraspCubeConfig>(cfg);
  // The twin draws the sim's picture of the scene, its arm posed as the real one.
  auto twin = std::make_unique<sim::GraspCubeEnv>(sim::LoadGraspCubeScene(cfg), cfg_ptr, f.seed, 0);
  auto set_joints = [&](const std::array<double, so100::kNumJoints>& q) {
    twin->SetRobotJoints(q);
    twin->Refresh();
  };
  set_joints(so100::kRestQpos);

  RobotSide arm;
  if (!f.real.no_robot) {
    const hw::So100FollowerConfig rcfg = FollowerConfig(f.real, rc);
    try {
      const hw::LoadedCalibration cal = LoadRealCalibration(f.real, rcfg.id);
      arm.robot = std::make_unique<hw::So100Follower>(rcfg, cal.calibration);
      arm.robot->Connect();
    } catch (...) {
      RethrowWithHint("robot on " + rcfg.port);
    }
    deploy::RealEnvConfig ecfg;
    ecfg.joint_map = rc.joint_map;
    arm.env = std::make_unique<deploy::RealGraspCubeEnv>(cfg, f.seed, *arm.robot, nullptr, ecfg);
    if (f.move_to_rest) {
      std::fprintf(stderr, "sim2real: moving the arm to rest under torque (torque goes off again at exit)\n");
      arm.robot->Configure();
      if (!arm.env->MoveToRest(f.rest_timeout_s))
        std::fprintf(stderr, "sim2real: warning: the arm did not reach rest within %.0f s\n",
                     f.rest_timeout_s);
    }
  }

  const render::BatchRenderer renderer(twin->model(), f.size, f.size);
  media::Image sim_rgb(f.size, f.size, 3);
  auto make_overlay = [&](const sim::CameraSettings& s) {
    if (arm.env) set_joints(arm.env->ReadJoints());  // the twin's arm where the real one is
    const media::Image real = camera::PreprocessObservation(cam->Read().image, f.size, f.size);
    render::CameraPose pose;
    pose.eye = s.pos, pose.target = s.target, pose.roll = 0, pose.fovy = s.fov;
    renderer.Render(twin->model(), twin->data(), pose, twin->lighting(), sim_rgb.data(), nullptr);
    return Blend(real, sim_rgb);
  };

  sim::CameraSettings s = initial;
  bool save = false;
  std::string ended_by = f.headless ? "keys" : "";
  std::fprintf(info, "camera %s\n", DescribeCamera(s).c_str());
  std::fflush(info);
  // Returns true when the session ends.
  auto press = [&](const AlignKeyPress& k, bool scripted) {
    switch (ApplyAlignKey(k, f.steps, initial, &s)) {
      case AlignAction::kChanged:
      case AlignAction::kReset:
        std::fprintf(info, "%s: %s\n", KeyName(k).c_str(), DescribeCamera(s).c_str());
        std::fflush(info);
        return false;
      case AlignAction::kWrite:
        if (f.env.env_kwargs_json_path.empty()) {  // only live presses get here (--keys was checked)
          std::fprintf(stderr,
                       "sim2real: Enter writes the camera into the env config, but no "
                       "--env-kwargs-json-path was given; q quits\n");
          return false;
        }
        save = true;
        ended_by = scripted ? "keys <enter>" : "enter";
        return true;
      case AlignAction::kQuit:
        ended_by = scripted ? "keys " + KeyName(k) : "quit";
        return true;
      case AlignAction::kUnbound:
        return false;
    }
    return false;
  };

  media::Image overlay;
  bool window = false;
  if (f.headless) {
    for (const auto& k : keys)
      if (press(k, true)) break;
    overlay = make_overlay(s);
  } else {
    const std::string name = "sim2real align-camera (real + sim)";
    cv::namedWindow(name, cv::WINDOW_AUTOSIZE | cv::WINDOW_GUI_NORMAL);
    window = true;
    size_t next = 0;
    bool done = false;
    while (!done) {
      overlay = make_overlay(s);
      cv::Mat rgb(overlay.height, overlay.width, CV_8UC3, overlay.data());
      cv::Mat bgr;
      cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
      char line[120];
      std::snprintf(line, sizeof(line), "pos %.3f %.3f %.3f  target %.3f %.3f %.3f", s.pos[0], s.pos[1],
                    s.pos[2], s.target[0], s.target[1], s.target[2]);
      DrawText(bgr, line, 16);
      std::snprintf(line, sizeof(line), "fov %.4f rad (%.2f deg)", s.fov, s.fov * 180.0 / M_PI);
      DrawText(bgr, line, 32);
      const int h = bgr.rows;
      DrawText(bgr, "w/s a/d up/down: pos x y z   left/right: fov", h - 38, 0.4);
      DrawText(bgr, "i/k j/l u/o: target x y z   Shift: fine steps", h - 22, 0.4);
      DrawText(bgr, "Backspace: reset  Enter: save + quit  q/Esc: quit", h - 6, 0.4);
      cv::imshow(name, bgr);
      const int code = cv::waitKeyEx(30);
      AlignKeyPress k;
      if (code >= 0 && KeyFromOpenCvCode(code, &k)) done = press(k, false);
      if (!done && next < keys.size()) done = press(keys[next++], true);  // one scripted key per frame
      if (!done && cv::getWindowProperty(name, cv::WND_PROP_VISIBLE) < 1) {
        ended_by = "window closed";
        done = true;
      }
    }
    cv::destroyAllWindows();
    cv::waitKey(1);
  }

  std::string backup;
  if (save) backup = UpdateEnvConfigCamera(f.env.env_kwargs_json_path, s);
  if (!f.out.empty()) {
    const std::filesystem::path parent = std::filesystem::path(f.out).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent);
    media::WritePng(f.out, overlay);
  }
  if (arm.robot) arm.robot->Disconnect();  // torque off, port closed

  auto settings = [](const sim::CameraSettings& c) {
    return nlohmann::json{{"pos", c.pos}, {"target", c.target}, {"fov", c.fov}};
  };
  if (f.json) {
    nlohmann::json out = settings(s);
    out["initial"] = settings(initial);
    out["saved"] = save;
    out["config"] = f.env.env_kwargs_json_path.empty() ? nlohmann::json(nullptr)
                                                       : nlohmann::json(f.env.env_kwargs_json_path);
    out["backup"] = save ? nlohmann::json(backup) : nlohmann::json(nullptr);
    out["overlay"] = f.out.empty() ? nlohmann::json(nullptr) : nlohmann::json(f.out);
    out["size"] = f.size;
    out["camera"] = cam->name();
    out["robot"] = !f.real.no_robot;
    out["window"] = window;
    out["ended_by"] = ended_by;
    std::cout << out.dump() << "\n";
  } else {
    std::printf("final camera %s\n", DescribeCamera(s).c_str());
    if (save)
      std::printf("wrote base_camera_settings into %s (previous file kept as %s)\n",
                  f.env.env_kwargs_json_path.c_str(), backup.c_str());
    else
      std::printf("the env config was not changed\n");
    if (!f.out.empty()) std::printf("wrote the overlay %s (%dx%d)\n", f.out.c_str(), f.size, f.size);
  }
  return 0;
}

}  // namespace

void AddAlignCameraCommand(CLI::App& app) {
  static AlignFlags f;
  auto* cmd = app.add_subcommand(
      "align-camera",
      "Line the sim camera up with the real one: a window blends the real frame 50/50 with the sim render. "
      "Keys: w/s a/d Up/Down move the camera x y z, Left/Right change the fov, i/k j/l u/o move the look-at "
      "target x y z (Shift: a tenth of a step), Backspace resets, Enter writes pos/target/fov into "
      "--env-kwargs-json-path (backup F.bak) and quits, q/Esc quits without writing");
  AddEnvFlags(cmd, &f.env, false);
  AddRealSideFlags(cmd, &f.real);
  cmd->add_flag("--move-to-rest", f.move_to_rest,
                "first move the arm to the rest pose under torque (slowly), as the reference does")
      ->group("Real side");
  cmd->add_flag("--headless", f.headless, "no window: write one overlay to --out (after --keys) and exit");
  cmd->add_option("--out", f.out, "PNG of the overlay (headless: required; window: the last one shown)");
  cmd->add_option("--keys", f.keys,
                  "key presses applied first (e.g. \"wwd<up><enter>\"): characters, and <up> <down> <left> "
                  "<right> <enter> <backspace> <esc> <space> <lt>");
  cmd->add_option("--step", f.steps.pos, "metres per press for pos and target")
      ->capture_default_str()
      ->check(CLI::Range(1e-6, 1.0));
  cmd->add_option("--fov-step", f.steps.fov, "radians per press for the fov")
      ->capture_default_str()
      ->check(CLI::Range(1e-6, 1.0));
  cmd->add_option("--size", f.size, "overlay width and height in pixels")
      ->capture_default_str()
      ->check(CLI::Range(16, 2048));
  cmd->add_option("--seed", f.seed, "reset seed of the twin (where its cube lies)")->capture_default_str();
  cmd->add_flag("--json", f.json, "print the final camera settings as one JSON object on stdout");
  cmd->callback([] { RunAlignCamera(f); });
}

}  // namespace s2r::app
