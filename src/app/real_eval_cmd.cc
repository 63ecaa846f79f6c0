#include "app/real_eval_cmd.h"

#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "app/cli_util.h"
#include "app/config_load.h"
#include "app/policy_loader.h"
#include "camera/frame_server.h"
#include "camera/open_camera.h"
#include "core/error.h"
#include "deploy/real_eval.h"
#include "hw/calibration.h"
#include "rl/policy.h"
#ifndef S2R_DEPLOY_ONLY
#include "app/scripted_on_twin.h"
#endif

namespace s2r::app {

namespace {

void Say(const std::string& line) { std::fprintf(stderr, "sim2real: %s\n", line.c_str()); }
// Waits for Enter; false if a stop was requested (Ctrl+C) or stdin closed.
bool WaitEnterOrStop(const std::string& prompt) { return WaitEnter(prompt, deploy::StopRequested); }

}  // namespace

int RunRealEvalCommand(const EnvFlags& env_flags, const RealEvalFlags& f) {
  if (f.scripted == !f.checkpoint.empty())
    throw ConfigError("eval --real: pass either --checkpoint PATH or --scripted");
  const RobotConfig rc = LoadRealRobotConfig(f.side);

  // The task: the env config with the policy's obs mode and sensor size, no domain randomization.
  sim::GraspCubeConfig cfg = BuildGraspCubeConfig(env_flags, "eval --real");
  std::unique_ptr<rl::Policy> policy;
  cfg.obs_mode = sim::ObsMode::kRgb;
  if (policy = f.scripted ? nullptr : LoadAnyPolicy(f.checkpoint, f.seed); policy) {
    const rl::CheckpointMeta& m = policy->meta();
    RequireCompatible(m, env_flags.env_id, "", "--checkpoint " + f.checkpoint);
    RequireCanSample(m, f.sample_actions, "--checkpoint " + f.checkpoint, "--stochastic");
    if (m.obs_mode != "rgb")
      throw ConfigError("--checkpoint " + f.checkpoint +
                        ": a state-observation policy needs the cube's pose, which the real robot cannot "
                        "measure; train with --obs-mode rgb");
    cfg.sensor_width = m.image_width, cfg.sensor_height = m.image_height;
  }
  cfg.domain_randomization = false;
  cfg.Validate("eval --real");
#ifdef S2R_DEPLOY_ONLY
  if (f.scripted)
    throw ConfigError(
        "--scripted: the scripted controller plans on the MuJoCo twin, which the deploy-only build does not "
        "have; run it with the full build, or pass --checkpoint policy.onnx");
#else
  // --scripted plans on a twin that mirrors the arm (its kinematics; the cube where it was asked to be).
  std::unique_ptr<ScriptedOnTwin> scripted;
  if (f.scripted) scripted = std::make_unique<ScriptedOnTwin>(cfg, f.seed);
#endif

  if (!f.record_dir.empty()) RequireWritableFolder(f.record_dir, "--record-dir");
  // The robot's settings and calibration file, then the camera: if either fails, the arm has not been
  // touched (no torque on, nothing to undo).
  const hw::So100FollowerConfig rcfg = FollowerConfig(f.side, rc);
  const hw::LoadedCalibration cal = LoadRealCalibration(f.side, rcfg.id);
  std::unique_ptr<camera::Camera> cam = OpenRealCamera(f.side, rc, /*loop=*/false);
  const camera::CameraSpec spec = camera::ParseCameraSpec(RealCameraSpec(f.side, rc));

  // Then the arm: connect and configure (torque on, holding where it is).
  hw::So100Follower robot(rcfg, cal.calibration);
  deploy::InstallStopHandler();
  robot.Connect();
  robot.Configure();
  Say("robot on " + rcfg.port + " (calibration " + cal.path.string() + ")");

  deploy::RealEnvConfig ecfg;
  ecfg.control_freq = f.control_freq;
  ecfg.joint_map = rc.joint_map;
  ecfg.warn = Say;
  deploy::RealGraspCubeEnv env(cfg, f.seed, robot, cam.get(), ecfg);

  const bool deterministic = !f.sample_actions;
  deploy::RealActFn act = [&](const float* obs, const uint8_t* image, float* action) {
#ifndef S2R_DEPLOY_ONLY
    if (scripted) return scripted->Act(env, action);
#endif
    policy->Act(obs, image, 1, deterministic, action);
  };
  deploy::RealEvalIo io;
  io.wait_enter = WaitEnterOrStop;
  io.info = Say;
  // A person resets the scene on a real arm; the virtual robot's scene socket does it for tests and for
  // users without an arm, and also tells whether the task succeeded.
  const bool virtual_scene = spec.kind == camera::CameraSpec::Kind::kVirtual;
  const std::string& scene_socket = spec.path;
  io.reset_scene = [&](const deploy::SceneRequest& s) {
    if (virtual_scene) {
      camera::PlaceObjectVirtual(scene_socket, s.cube_x, s.cube_y, s.cube_yaw);
      return;
    }
    char msg[200];
    std::snprintf(msg, sizeof(msg),
                  "place the cube at x=%.3f m, y=%.3f m (robot base frame), yaw %.0f deg, then press Enter",
                  s.cube_x, s.cube_y, s.cube_yaw * 180.0 / M_PI);
    if (!WaitEnterOrStop(msg)) deploy::RequestStop();
  };
  if (virtual_scene) {
    io.success = [&]() -> std::optional<bool> {
      const auto st = camera::QuerySceneVirtual(scene_socket);
      return st ? std::optional<bool>(st->success) : std::nullopt;
    };
  }
  deploy::RealEvalOptions o;
  o.num_episodes = f.num_episodes;
  o.max_episode_steps = f.max_episode_steps;
  o.continuous = f.continuous_eval;
  o.record_dir = f.record_dir;

  deploy::RealEvalResult r;
  {
    deploy::ReturnToRestGuard guard(env, robot, o.rest_timeout_s, Say);  // also on exceptions
    r = deploy::RunRealEval(
        env, act,
        [&] {
#ifndef S2R_DEPLOY_ONLY
          if (scripted) scripted->Reset();
#endif
        },
        o, io);
  }
  robot.Disconnect();  // torque off (again) and close the port
  Say(r.interrupted ? "stopped: the arm is at rest and torque is off"
                    : "done: the arm is at rest and torque is off");

  nlohmann::json out = {{"policy", policy ? policy->meta().algo : std::string("scripted")},
                        {"episodes", r.episodes},
                        {"steps", r.steps},
                        {"success_rate", r.success_known && r.episodes > 0
                                             ? nlohmann::json(static_cast<double>(r.successes) / r.episodes)
                                             : nlohmann::json(nullptr)},
                        {"overruns", r.overruns},
                        {"interrupted", r.interrupted},
                        {"videos", r.videos}};
  if (f.json) {
    std::cout << out.dump() << "\n";
  } else {
    std::printf("real evaluation: %d episodes, %d steps", r.episodes, r.steps);
    if (r.success_known && r.episodes > 0)
      std::printf(", success %.2f", static_cast<double>(r.successes) / r.episodes);
    std::printf("%s\n", r.interrupted ? " (stopped by Ctrl+C)" : "");
  }
  return r.interrupted ? 130 : 0;
}

}  // namespace s2r::app
