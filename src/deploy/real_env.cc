#include "deploy/real_env.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <thread>

#include "core/error.h"

namespace s2r::deploy {

namespace {
using Clock = std::chrono::steady_clock;
}

RealGraspCubeEnv::RealGraspCubeEnv(std::unique_ptr<sim::GraspCubeEnv> twin, hw::So100Follower& robot,
                                   camera::Camera* camera, RealEnvConfig config)
    : twin_(std::move(twin)),
      robot_(robot),
      camera_(camera),
      cfg_(std::move(config)),
      controller_(so100::ControllerSpec()) {
  if (!(cfg_.control_freq > 0)) throw ConfigError("--control-freq: expected a positive number of Hz");
  if (static_cast<int>(cfg_.joint_map.joints.size()) != so100::kNumJoints)
    throw ConfigError("robot config joint_map: expected the six SO-100 joints");
  const bool rgb = twin_->config().obs_mode == sim::ObsMode::kRgb;
  if (rgb && camera_ == nullptr) throw ConfigError("--camera: an rgb policy needs a camera");
  obs_.assign(rgb ? so100::obs::kRgbStateDim : so100::obs::kStateDim, 0.0f);
  if (!cfg_.warn) cfg_.warn = [](const std::string& m) { std::fprintf(stderr, "sim2real: %s\n", m.c_str()); };
}

JointRadians RealGraspCubeEnv::ReadJoints() {
  const hw::JointValues deg = robot_.ReadPositions();
  JointRadians q{};
  for (int j = 0; j < so100::kNumJoints; ++j) q[j] = cfg_.joint_map.ToRadians(j, deg[j]);
  return q;
}

void RealGraspCubeEnv::SendTargets(const JointRadians& q) {
  hw::JointValues deg{};
  for (int j = 0; j < so100::kNumJoints; ++j) {
    // The controller's accumulated target may run past a joint's range (the reference does not clip it;
    // in simulation the joint limit stops the arm). The robot refuses goals outside the calibrated range,
    // so the target is clamped to it here, where a servo would clamp it to its position limits.
    const auto lim = robot_.Limits(j);
    deg[j] =
        std::clamp(cfg_.joint_map.ToDegrees(j, q[j]), std::min(lim[0], lim[1]), std::max(lim[0], lim[1]));
  }
  robot_.SendGoal(deg);  // limits checked again before sending; max_relative_target clips each step
}

void RealGraspCubeEnv::Observe() {
  const JointRadians q = ReadJoints();
  const auto now = Clock::now();
  const double dt = std::chrono::duration<double>(now - last_read_).count();
  mjData* d = twin_->data();
  const sim::GraspCubeIds& id = twin_->ids();
  for (int j = 0; j < so100::kNumJoints; ++j) {
    d->qpos[id.qpos_adr[j]] = q[j];
    // No velocity sensor is read: a finite difference (the scripted controller's stall check uses it).
    d->qvel[id.dof_adr[j]] = dt > 1e-4 && dt < 1.0 ? (q[j] - last_q_[j]) / dt : 0.0;
  }
  last_q_ = q;
  last_read_ = now;
  twin_->Refresh();
  twin_->WriteObs(obs_.data());
  if (camera_ != nullptr) {
    frame_ = camera_->Read().image;
    if (twin_->config().obs_mode == sim::ObsMode::kRgb)
      image_ =
          camera::PreprocessObservation(frame_, twin_->config().sensor_width, twin_->config().sensor_height);
  }
}

bool RealGraspCubeEnv::MoveTo(const JointRadians& goal, double timeout_s) {
  const auto period = std::chrono::duration<double>(1.0 / cfg_.move_rate_hz);
  const auto deadline = Clock::now() + std::chrono::duration<double>(timeout_s);
  JointRadians q = ReadJoints();
  while (Clock::now() < deadline) {
    // Every joint moves at most move_step_rad per tick toward the goal (a straight line in joint space
    // when one joint limits the pace, as LeRobotRealAgent.reset).
    double norm = 0;
    JointRadians step{};
    for (int j = 0; j < so100::kNumJoints; ++j) {
      step[j] = std::clamp(goal[j] - q[j], -cfg_.move_step_rad, cfg_.move_step_rad);
      norm += step[j] * step[j];
      q[j] += step[j];
    }
    if (std::sqrt(norm) <= 1e-4) return true;
    SendTargets(q);
    std::this_thread::sleep_for(period);
  }
  return false;
}

void RealGraspCubeEnv::Reset(const std::function<void(const SceneRequest&)>& reset_scene) {
  twin_->Reset(false);  // the twin draws the start pose (rest + noise) and the cube's pose
  JointRadians start{};
  const mjData* d = twin_->data();
  const sim::GraspCubeIds& id = twin_->ids();
  for (int j = 0; j < so100::kNumJoints; ++j) start[j] = d->qpos[id.qpos_adr[j]];
  if (!MoveTo(start, cfg_.move_timeout_s)) cfg_.warn("reset: the arm did not reach the start pose in time");
  const double* cq = d->qpos + id.cube_qpos_adr;
  SceneRequest scene;
  scene.cube_x = cq[0], scene.cube_y = cq[1];
  scene.cube_yaw = 2.0 * std::atan2(cq[6], cq[3]);
  reset_scene(scene);
  // The controller starts from the measured pose (the Sim2RealEnv reset).
  last_read_ = Clock::now();
  last_q_ = ReadJoints();
  twin_->set_target_qpos(last_q_);
  Observe();
  next_tick_ = Clock::now();
}

double RealGraspCubeEnv::Step(const float* action) {
  const auto t0 = Clock::now();
  const mjData* d = twin_->data();
  const sim::GraspCubeIds& id = twin_->ids();
  double qpos[so100::kNumJoints];
  for (int j = 0; j < so100::kNumJoints; ++j) qpos[j] = d->qpos[id.qpos_adr[j]];
  JointRadians target = twin_->target_qpos();
  ApplyJointAction(twin_->config().control_mode, controller_, action, qpos, target.data());
  twin_->set_target_qpos(target);
  SendTargets(target);
  // Hold the control frequency: the observation is read one period after the command.
  const auto period =
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / cfg_.control_freq));
  next_tick_ = std::max(next_tick_ + period, t0);
  const double busy = std::chrono::duration<double>(Clock::now() - t0).count();
  if (Clock::now() > next_tick_ + period / 10) {
    ++overruns_;
    char msg[160];
    std::snprintf(msg, sizeof(msg), "control step took %.1f ms, more than the %.1f ms of %.1f Hz", busy * 1e3,
                  1e3 / cfg_.control_freq, cfg_.control_freq);
    cfg_.warn(msg);
    next_tick_ = Clock::now();
  }
  std::this_thread::sleep_until(next_tick_);
  Observe();
  return busy;
}

}  // namespace s2r::deploy
