#include "app/jetbot_eval_cmd.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "app/cli_util.h"
#include "app/policy_loader.h"
#include "camera/camera.h"
#include "camera/open_camera.h"
#include "core/error.h"
#include "core/stop_signal.h"
#include "deploy/jetbot_real_loop.h"
#include "hw/i2c_dev.h"
#include "hw/jetbot_motors.h"
#include "rl/policy.h"
#include "sim/jetbot_config.h"

namespace s2r::app {

namespace {

void Say(const std::string& line) { std::fprintf(stderr, "sim2real: %s\n", line.c_str()); }

// The checkpoint must be an rgb policy of a Jetbot task whose observation is the sim's rgb one (image +
// the last action [2]) and whose action is the two wheel duties.
void RequireJetbotPolicy(const rl::CheckpointMeta& m, const JetbotEvalFlags& f) {
  const std::string what = "--checkpoint " + f.checkpoint;
  sim::JetbotTask task;
  if (!sim::JetbotTaskOfId(m.env_id, &task))
    throw ConfigError(what + ": a policy of " + m.env_id + ", not of a Jetbot task (" + sim::kJetbotDirectId +
                      " or " + sim::kJetbotGoalId +
                      "); eval --real --robot jetbot drives the Jetbot's wheels");
  if (!f.env_id.empty() && f.env_id != m.env_id)
    throw ConfigError(what + ": trained on " + m.env_id + ", not " + f.env_id + " (--env-id)");
  if (m.obs_mode != "rgb")
    throw ConfigError(
        what + ": a " + m.obs_mode +
        "-observation policy needs the block's pose and the wheel speeds, which the real Jetbot "
        "cannot measure; train with --obs-mode rgb");
  if (m.action_dim != 2 || m.image_width <= 0 || m.image_height <= 0 || (m.include_state && m.obs_dim != 2))
    throw ConfigError(what +
                      ": expected the Jetbot's rgb policy (image + the last action [2] -> 2 wheel "
                      "duties), got obs_dim " +
                      std::to_string(m.obs_dim) + ", action_dim " + std::to_string(m.action_dim) +
                      ", image " + std::to_string(m.image_width) + "x" + std::to_string(m.image_height));
}

// The camera at the policy's size where the source can scale (csi: nvvidconv in the pipeline), at its own
// size otherwise (the loop crops and resizes). Errors name --camera.
std::unique_ptr<camera::Camera> OpenJetbotCamera(const std::string& spec, int width, int height) {
  const std::string what = "--camera " + spec;
  try {
    camera::CameraOptions o;
    if (camera::ParseCameraSpec(spec).kind == camera::CameraSpec::Kind::kCsi)
      o.width = width, o.height = height;
    return camera::OpenCamera(spec, o);
  } catch (const ConfigError& e) {
    throw ConfigError(what + ": " + e.what());
  } catch (const camera::CameraError& e) {
    throw camera::CameraError(what + ": " + e.what());
  }
}

}  // namespace

int RunJetbotEvalCommand(const JetbotEvalFlags& f) {
  // Every flag first: nothing is opened until all are good.
  if (f.checkpoint.empty()) throw ConfigError("eval --real --robot jetbot: --checkpoint is required");
  deploy::JetbotLoopOptions lo;
  lo.max_duty = f.max_duty;
  lo.control_freq = f.control_freq;
  lo.seconds = f.seconds;
  lo.Validate();
  hw::JetbotMotorsConfig mc;
  mc.board = hw::ParseMotorBoard(f.board, "--board");
  mc.address = hw::ParseI2cAddress(f.address, "--address");
  try {
    camera::ParseCameraSpec(f.camera);
  } catch (const ConfigError& e) {
    throw ConfigError("--camera " + f.camera + ": " + e.what());
  }
  if (!f.record_dir.empty()) RequireWritableFolder(f.record_dir, "--record-dir");

  std::unique_ptr<rl::Policy> policy = LoadAnyPolicy(f.checkpoint, f.seed);
  const rl::CheckpointMeta& meta = policy->meta();
  RequireJetbotPolicy(meta, f);
  RequireCanSample(meta, f.sample_actions, "--checkpoint " + f.checkpoint, "--stochastic");
  lo.image_width = meta.image_width, lo.image_height = meta.image_height;
  if (!f.record_dir.empty())
    lo.record_path = (std::filesystem::path(f.record_dir) / "real_eval_jetbot.mp4").string();

  // The camera before the motors: if it fails, the wheels were never touched.
  std::unique_ptr<camera::Camera> cam = OpenJetbotCamera(f.camera, lo.image_width, lo.image_height);
  InstallStopSignals(SecondSignal::kKeepWaiting);  // the release takes milliseconds
  hw::I2cDev bus(f.i2c);
  hw::JetbotMotors motors(bus, mc);  // released by its destructor on every exit path
  char duty[32];
  std::snprintf(duty, sizeof duty, "%g", f.max_duty);
  Say("jetbot motors on " + f.i2c + " at " + hw::HexAddress(mc.address) + " (" +
      hw::MotorBoardName(mc.board) + " board), camera " + f.camera + ", policy " + meta.env_id + " " +
      std::to_string(lo.image_width) + "x" + std::to_string(lo.image_height) + ", max duty " + duty +
      ", Ctrl+C stops and releases");

  const bool deterministic = !f.sample_actions;
  deploy::JetbotLoopIo io;
  io.read_frame = [&] { return cam->Read(); };
  io.act = [&](const float* state, const uint8_t* image, float* action) {
    policy->Act(state, image, 1, deterministic, action);
  };
  io.set_motors = [&](double left, double right) { motors.SetMotors(left, right); };
  io.now = camera::NowSeconds;
  io.sleep_until = [](double until_s) {
    const double left_s = until_s - camera::NowSeconds();
    if (left_s > 0) std::this_thread::sleep_for(std::chrono::duration<double>(left_s));
  };
  io.stop_requested = StopRequested;

  deploy::JetbotLoopResult r;
  {
    hw::MotorWatchdog watchdog(motors);  // a stalled loop (> watchdog_s without a command) releases
    r = deploy::RunJetbotLoop(lo, io);
  }
  motors.Release();
  Say(r.interrupted ? "stopped: the motors are released" : "done: the motors are released");

  const auto num = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); };
  nlohmann::json out = {
      {"robot", "jetbot"},
      {"policy", meta.algo},
      {"env_id", meta.env_id},
      {"image_width", lo.image_width},
      {"image_height", lo.image_height},
      {"i2c", f.i2c},
      {"address", hw::HexAddress(mc.address)},
      {"board", hw::MotorBoardName(mc.board)},
      {"camera", f.camera},
      {"max_duty", f.max_duty},
      {"control_freq", f.control_freq},
      {"steps", r.steps},
      {"seconds", r.seconds},
      {"loop_hz", num(r.loop_hz)},
      {"overruns", r.overruns},
      {"new_frames", r.new_frames},
      {"frame_age_ms", {{"median", num(r.frame_age_median_ms)}, {"max", num(r.frame_age_max_ms)}}},
      {"latency_ms", {{"median", num(r.latency_median_ms)}, {"p95", num(r.latency_p95_ms)}}},
      {"max_abs_value", r.max_abs_value},
      {"watchdog_releases", motors.watchdog_releases()},
      {"interrupted", r.interrupted},
      {"released", motors.released()},
      {"video", r.video.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.video)}};
  if (f.json) {
    std::cout << out.dump() << std::endl;
  } else {
    std::printf(
        "jetbot: %d steps in %.2f s (%.1f Hz, %d overruns); frame age %.1f ms median, %.1f max; frame -> PWM "
        "%.2f ms median, %.2f p95; motors released%s\n",
        r.steps, r.seconds, r.loop_hz, r.overruns, r.frame_age_median_ms, r.frame_age_max_ms,
        r.latency_median_ms, r.latency_p95_ms, r.interrupted ? " (stopped by Ctrl+C)" : "");
  }
  return r.interrupted ? 130 : 0;
}

}  // namespace s2r::app
