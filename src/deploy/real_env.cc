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

RealGraspCubeEnv::RealGraspCubeEnv(const sim::GraspCubeConfig& task, uint64_t seed, hw::So100Follower& robot,
                                   camera::Camera* camera, RealEnvConfig config)
    : reset_(task.reset_distribution()),
      control_mode_(task.control_mode),
      image_width_(task.sensor_width),
      image_height_(task.sensor_height),
      rng_(Rng::ForStream(seed, 0)),
      robot_(robot),
      camera_(camera),
      cfg_(std::move(config)),
      controller_(so100::ControllerSpec()) {
  if (!(cfg_.control_freq > 0)) throw ConfigError("--control-freq: expected a positive number of Hz");
  if (static_cast<int>(cfg_.joint_map.joints.size()) != so100::kNumJoints)
    throw ConfigError("robot config joint_map: expected the six SO-100 joints");
  obs_.assign(so100::obs::kRgbStateDim, 0.0f);
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
  for (int j = 0; j < so100::kNumJoints; ++j) qvel_[j] = dt > 1e-4 && dt < 1.0 ? (q[j] - q_[j]) / dt : 0.0;
  q_ = q;
  last_read_ = now;
  so100::WriteProprioObs(q_.data(), target_.data(), obs_.data());
  if (camera_ != nullptr) {
    frame_ = camera_->Read().image;
    image_ = camera::PreprocessObservation(frame_, image_width_, image_height_);
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
  const so100::ResetDraw draw = so100::DrawReset(rng_, reset_);
  if (!MoveTo(draw.qpos, cfg_.move_timeout_s))
    cfg_.warn("reset: the arm did not reach the start pose in time");
  scene_ = {draw.cube_x, draw.cube_y, draw.cube_yaw};
  reset_scene(scene_);
  // The controller starts from the measured pose (the Sim2RealEnv reset).
  last_read_ = Clock::now();
  q_ = ReadJoints();
  qvel_ = {};
  target_ = q_;
  Observe();
  next_tick_ = Clock::now();
}

double RealGraspCubeEnv::Step(const float* action) {
  const auto t0 = Clock::now();
  ApplyJointAction(control_mode_, controller_, action, q_.data(), target_.data());
  SendTargets(target_);
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
