#include "deploy/jetbot_twin.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace s2r::deploy {

namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kControlDt = 1.0 / sim::kJetbotControlFreq;  // s

double WrapAngle(double a) { return std::remainder(a, 2.0 * kPi); }  // to [-pi, pi]

float Duty(double v) { return std::isfinite(v) ? static_cast<float>(std::clamp(v, -1.0, 1.0)) : 0.0f; }

}  // namespace

sim::JetbotConfig DefaultJetbotTwinConfig() {
  sim::JetbotConfig c = sim::JetbotDefaults(sim::JetbotTask::kGoal);
  c.robot_pose_noise = {};
  c.domain_randomization = false;
  return c;
}

JetbotTwin::JetbotTwin(JetbotTwinOptions options) : options_(std::move(options)) {
  options_.env_config.obs_mode = sim::ObsMode::kState;  // no held policy frame: the camera renders now
  options_.env_config.Validate("virtual Jetbot env config");
  scene_ = sim::LoadJetbotScene(options_.env_config);
  env_ = std::make_unique<sim::JetbotEnv>(
      scene_, std::make_shared<const sim::JetbotConfig>(options_.env_config), options_.seed, 0);
  start_ = last_ = env_->chassis_pose();
  snapshot_ = sim::MakeData(env_->model());
}

void JetbotTwin::SetDuties(double left, double right) {
  std::lock_guard<std::mutex> lock(mu_);
  duties_ = {Duty(left), Duty(right)};
}

std::array<double, 2> JetbotTwin::duties() const {
  std::lock_guard<std::mutex> lock(mu_);
  return {duties_[0], duties_[1]};
}

void JetbotTwin::StepLocked(int n) {
  for (int i = 0; i < n; ++i) {
    if (!env_->Step(duties_.data())) {  // diverged physics: the robot back at its start
      ++physics_resets_;
      env_->Reset(false);
      last_ = env_->chassis_pose();
      ++steps_;
      continue;
    }
    const std::array<double, 3> p = env_->chassis_pose();
    odometry_.distance += std::hypot(p[0] - last_[0], p[1] - last_[1]);
    odometry_.yaw += WrapAngle(p[2] - last_[2]);
    last_ = p;
    ++steps_;
  }
  const double c = std::cos(start_[2]), s = std::sin(start_[2]);
  const double dx = last_[0] - start_[0], dy = last_[1] - start_[1];
  odometry_.x = c * dx + s * dy;
  odometry_.y = -s * dx + c * dy;
}

int JetbotTwin::AdvanceTo(double t_s) {
  std::lock_guard<std::mutex> lock(mu_);
  const long due = static_cast<long>(std::floor((t_s - skipped_s_) / kControlDt + 1e-9)) - steps_;
  if (due <= 0) return 0;
  const long most = std::max(1L, static_cast<long>(std::floor(options_.max_catch_up_s / kControlDt)));
  if (due > most) skipped_s_ += static_cast<double>(due - most) * kControlDt;  // a stall: skip ahead
  const int n = static_cast<int>(std::min(due, most));
  StepLocked(n);
  return n;
}

void JetbotTwin::Step(int n) {
  std::lock_guard<std::mutex> lock(mu_);
  StepLocked(n);
}

JetbotOdometry JetbotTwin::odometry() const {
  std::lock_guard<std::mutex> lock(mu_);
  return odometry_;
}

std::array<double, 3> JetbotTwin::pose() const {
  std::lock_guard<std::mutex> lock(mu_);
  return env_->chassis_pose();
}

double JetbotTwin::sim_time() const {
  std::lock_guard<std::mutex> lock(mu_);
  return steps_ * kControlDt;
}

double JetbotTwin::skipped_s() const {
  std::lock_guard<std::mutex> lock(mu_);
  return skipped_s_;
}

int JetbotTwin::physics_resets() const {
  std::lock_guard<std::mutex> lock(mu_);
  return physics_resets_;
}

std::unique_ptr<render::BatchRenderer> JetbotTwin::MakeRenderer(int width, int height) const {
  return std::make_unique<render::BatchRenderer>(env_->model(), width, height);
}

media::Image JetbotTwin::Render(const render::BatchRenderer& renderer) const {
  media::Image image(renderer.width(), renderer.height(), 3);
  std::lock_guard<std::mutex> render_lock(render_mu_);
  render::CameraPose camera;
  render::Lighting lighting;
  {
    std::lock_guard<std::mutex> lock(mu_);
    mj_copyData(snapshot_.get(), env_->model(), env_->data());  // kinematics are current after Step
    camera = env_->camera_pose();
    lighting = env_->lighting();
  }
  renderer.Render(env_->model(), snapshot_.get(), camera, lighting, image.data(), nullptr);
  return image;
}

}  // namespace s2r::deploy
