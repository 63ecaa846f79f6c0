#include "deploy/twin_motion_model.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/error.h"
#include "sim/mj_step.h"

namespace s2r::deploy {

namespace {

constexpr double kTicksPerDegree = hw::kMaxRes / 360.0;  // LeRobot's 4095 / 360
constexpr double kRadToDeg = 180.0 / so100::kPi;
constexpr double kOverloadFraction = 0.95;  // of the actuator's force limit
constexpr double kOverloadSeconds = 0.5;    // s at that load before the overload bit is set
constexpr double kCurrentPerLoad = 0.3;     // Present_Current units per 0.1 % load (rough: 2 A at 100 %)

void ValidateJointMap(const JointMap& map) {
  map.Validate(std::vector<std::string>(so100::kJointNames.begin(), so100::kJointNames.end()),
               "virtual robot joint map");
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Calibration

hw::Calibration TwinCalibration(const JointMap& joint_map) {
  ValidateJointMap(joint_map);
  hw::Calibration cal;
  for (int j = 0; j < so100::kNumJoints; ++j) {
    const double lo = joint_map.ToDegrees(j, so100::kJointLow[j]);
    const double hi = joint_map.ToDegrees(j, so100::kJointHigh[j]);
    const double reach = std::max(std::abs(lo), std::abs(hi));
    const int half =
        std::min(2047, static_cast<int>(std::ceil(reach * kTicksPerDegree)) + kTwinRangeMarginTicks);
    hw::MotorCalibration m;
    m.id = j + 1;
    m.drive_mode = 0;
    m.homing_offset = 0;
    m.range_min = kTwinMidTick - half;
    m.range_max = kTwinMidTick + half;
    cal.Set(std::string(so100::kJointNames[j]), m);
  }
  return cal;
}

double TwinTicksToRadians(const JointMap& joint_map, int joint, double ticks) {
  return joint_map.ToRadians(joint, (ticks - kTwinMidTick) / kTicksPerDegree);
}

double TwinRadiansToTicks(const JointMap& joint_map, int joint, double radians) {
  return kTwinMidTick + joint_map.ToDegrees(joint, radians) * kTicksPerDegree;
}

void ApplyCalibration(hw::feetech::ServoBusEmulator& emulator, const hw::Calibration& calibration) {
  using hw::feetech::Register;
  const std::vector<int> ids = emulator.ids();
  for (size_t i = 0; i < ids.size() && i < so100::kJointNames.size(); ++i) {
    const hw::MotorCalibration* m = calibration.Find(so100::kJointNames[i]);
    if (!m) continue;
    emulator.WriteRegister(ids[i], Register::kHomingOffset, m->homing_offset);
    emulator.WriteRegister(ids[i], Register::kMinPositionLimit, m->range_min);
    emulator.WriteRegister(ids[i], Register::kMaxPositionLimit, m->range_max);
  }
}

// ---------------------------------------------------------------------------------------------
// TwinMotionModel

TwinMotionModel::TwinMotionModel(TwinOptions options) : options_(std::move(options)) {
  ValidateJointMap(options_.joint_map);
  options_.env_config.Validate("virtual robot env config");
  cfg_ = std::make_shared<const sim::GraspCubeConfig>(options_.env_config);
  scene_ = sim::LoadGraspCubeScene(*cfg_);
  env_ = std::make_unique<sim::GraspCubeEnv>(scene_, cfg_, options_.seed, 0);
  // The env owns a per-env copy of the model (never shared); torque off switches its actuators' gains.
  // (GraspCubeEnv exposes it read-only; a mutable accessor would make this const_cast unnecessary.)
  model_ = const_cast<mjModel*>(env_->model());
  const sim::GraspCubeIds& ids = env_->ids();
  for (int j = 0; j < so100::kNumJoints; ++j) {
    const int a = ids.actuator[j];
    gain_[j] = {model_->actuator_gainprm[a * mjNGAIN], model_->actuator_biasprm[a * mjNBIAS + 1],
                model_->actuator_biasprm[a * mjNBIAS + 2]};
    force_limit_[j] = model_->actuator_forcelimited[a]
                          ? std::max(std::abs(model_->actuator_forcerange[2 * a]),
                                     std::abs(model_->actuator_forcerange[2 * a + 1]))
                          : 0.0;
    if (!(force_limit_[j] > 0)) force_limit_[j] = 1.0;
    joints_[j].target = options_.start_qpos[j];
  }
  env_->SetRobotJoints(options_.start_qpos);  // at rest there, the servo goals (the env's targets) too
  env_->Refresh();
  snapshot_ = sim::MakeData(model_);
  if (options_.realtime) thread_ = std::thread([this] { Run(); });
}

TwinMotionModel::~TwinMotionModel() {
  DetachEmulator();
  {
    std::lock_guard<std::mutex> lock(run_mu_);
    stop_ = true;
  }
  run_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void TwinMotionModel::AttachEmulator(hw::feetech::ServoBusEmulator* emulator) {
  std::lock_guard<std::mutex> lock(poll_mu_);
  emulator_ = emulator;
}

void TwinMotionModel::DetachEmulator() { AttachEmulator(nullptr); }

void TwinMotionModel::SetActuatorLocked(int joint, bool on) {
  Joint& jt = joints_[joint];
  if (jt.actuator_on == on) return;
  const int a = env_->ids().actuator[joint];
  model_->actuator_gainprm[a * mjNGAIN] = on ? gain_[joint][0] : 0.0;
  model_->actuator_biasprm[a * mjNBIAS + 1] = on ? gain_[joint][1] : 0.0;
  model_->actuator_biasprm[a * mjNBIAS + 2] = on ? gain_[joint][2] : 0.0;
  jt.actuator_on = on;
}

void TwinMotionModel::ApplyDrivesLocked() {
  mjData* d = env_->data();
  std::array<double, so100::kNumJoints> target{};
  for (int j = 0; j < so100::kNumJoints; ++j) {
    const Joint& jt = joints_[j];
    SetActuatorLocked(j, jt.parked || jt.torque);
    target[j] = jt.parked ? options_.start_qpos[j] : jt.target;
    d->ctrl[env_->ids().actuator[j]] = target[j];
  }
  env_->set_target_qpos(target);
}

void TwinMotionModel::StepLocked(int steps) {
  if (steps <= 0) return;
  mjData* d = env_->data();
  qpos_before_.assign(d->qpos, d->qpos + model_->nq);
  ApplyDrivesLocked();
  if (!sim::StepChecked(model_, d, steps)) {  // diverged: back to the state before this batch, at rest
    std::copy(qpos_before_.begin(), qpos_before_.end(), d->qpos);
    for (int i = 0; i < model_->nv; ++i) d->qvel[i] = 0;
    mj_forward(model_, d);
  }
}

void TwinMotionModel::Step(int steps) {
  std::lock_guard<std::mutex> lock(mu_);
  StepLocked(steps);
}

void TwinMotionModel::SetPaused(bool paused) {
  {
    std::lock_guard<std::mutex> lock(run_mu_);
    paused_ = paused;
  }
  run_cv_.notify_all();
}

void TwinMotionModel::Run() {
  using Clock = std::chrono::steady_clock;
  const double dt = model_->opt.timestep;
  bool have_ref = false;
  Clock::time_point wall_ref;
  double sim_ref = 0;
  std::unique_lock<std::mutex> run_lock(run_mu_);
  while (!stop_) {
    run_cv_.wait_for(run_lock, std::chrono::milliseconds(4), [this] { return stop_; });
    if (stop_) break;
    if (paused_) {
      have_ref = false;
      continue;
    }
    run_lock.unlock();
    {  // learn the drives the host wrote since the last bus read (outside mu_: Advance takes it)
      std::lock_guard<std::mutex> poll(poll_mu_);
      if (emulator_) {
        for (int id : emulator_->ids()) {
          try {
            emulator_->ReadRegister(id, hw::feetech::Register::kPresentPosition);
          } catch (const std::exception&) {  // e.g. an id changing meanwhile: next tick
          }
        }
      }
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      const mjData* d = env_->data();
      const Clock::time_point now = Clock::now();
      if (!have_ref) {
        wall_ref = now;
        sim_ref = d->time;
        have_ref = true;
      }
      double behind = sim_ref + std::chrono::duration<double>(now - wall_ref).count() - d->time;
      if (behind > kMaxCatchUpS) {  // a stall: skip ahead rather than race through it
        sim_ref -= behind - kMaxCatchUpS;
        behind = kMaxCatchUpS;
      }
      StepLocked(static_cast<int>(std::floor(behind / dt + 1e-9)));
    }
    run_lock.lock();
  }
}

hw::feetech::ServoState TwinMotionModel::Advance(int index, const hw::feetech::ServoDrive& drive,
                                                 double now_s) {
  hw::feetech::ServoState st;
  if (index < 0 || index >= so100::kNumJoints) return st;
  std::lock_guard<std::mutex> lock(mu_);
  Joint& jt = joints_[index];
  jt.torque = drive.torque_enabled;
  if (jt.torque) {
    jt.parked = false;
    jt.target = TwinTicksToRadians(options_.joint_map, index, drive.goal);
  }
  ApplyDrivesLocked();
  const sim::GraspCubeIds& ids = env_->ids();
  const mjData* d = env_->data();
  const JointMap& map = options_.joint_map;
  const double sign = map.joints[index].sign;
  st.position = TwinRadiansToTicks(map, index, d->qpos[ids.qpos_adr[index]]);
  st.velocity = sign * d->qvel[ids.dof_adr[index]] * kRadToDeg * kTicksPerDegree;
  if (jt.torque) {
    const double f = d->actuator_force[ids.actuator[index]] / force_limit_[index];
    st.load = static_cast<int>(std::lround(std::clamp(sign * f, -1.0, 1.0) * 1000.0));
    // Overload: pushing at (nearly) full torque for longer than the protection time sets the ERR byte's
    // overload bit, as a stalled STS3215 reports it (the torque reduction that follows is not modelled).
    if (std::abs(f) >= kOverloadFraction) {
      if (jt.saturated_since < 0) jt.saturated_since = now_s;
      if (now_s - jt.saturated_since >= kOverloadSeconds) st.error_bits |= hw::feetech::kErrOverload;
    } else {
      jt.saturated_since = -1;
    }
  } else {
    jt.saturated_since = -1;
  }
  st.current = static_cast<int>(std::lround(std::abs(st.load) * kCurrentPerLoad));
  return st;
}

void TwinMotionModel::PlaceObject(double x, double y, double yaw) {
  if (!std::isfinite(x) || !std::isfinite(y) || !std::isfinite(yaw))
    throw std::invalid_argument("place object: x, y and yaw must be finite");
  std::lock_guard<std::mutex> lock(mu_);
  const sim::GraspCubeIds& ids = env_->ids();
  mjData* d = env_->data();
  const int t = ids.table_geom;
  const double* c = d->geom_xpos + 3 * t;
  const double* size = model_->geom_size + 3 * t;
  if (std::abs(x - c[0]) > size[0] || std::abs(y - c[1]) > size[1]) {
    throw std::invalid_argument("place object: (" + std::to_string(x) + ", " + std::to_string(y) +
                                ") m is off the table top (x " + std::to_string(c[0] - size[0]) + " to " +
                                std::to_string(c[0] + size[0]) + ", y " + std::to_string(c[1] - size[1]) +
                                " to " + std::to_string(c[1] + size[1]) + ")");
  }
  double* q = d->qpos + ids.cube_qpos_adr;
  q[0] = x;
  q[1] = y;
  q[2] = c[2] + size[2] + env_->cube_half_size();
  q[3] = std::cos(0.5 * yaw);
  q[4] = 0;
  q[5] = 0;
  q[6] = std::sin(0.5 * yaw);
  for (int k = 0; k < 6; ++k) d->qvel[ids.cube_dof_adr + k] = 0;
  mj_forward(model_, d);
}

std::array<double, so100::kNumJoints> TwinMotionModel::qpos() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::array<double, so100::kNumJoints> q{};
  for (int j = 0; j < so100::kNumJoints; ++j) q[j] = env_->data()->qpos[env_->ids().qpos_adr[j]];
  return q;
}

std::array<double, 3> TwinMotionModel::cube_pos() const {
  std::lock_guard<std::mutex> lock(mu_);
  return env_->cube_pos();
}

double TwinMotionModel::cube_yaw() const {
  std::lock_guard<std::mutex> lock(mu_);
  const double* q = env_->data()->qpos + env_->ids().cube_qpos_adr + 3;
  return std::atan2(2 * (q[0] * q[3] + q[1] * q[2]), 1 - 2 * (q[2] * q[2] + q[3] * q[3]));
}

sim::GraspCubeEval TwinMotionModel::Evaluate() const {
  std::lock_guard<std::mutex> lock(mu_);
  env_->Refresh();  // mj_forward + the task's evaluation on the current state (targets = the servo goals)
  return env_->eval();
}

double TwinMotionModel::sim_time() const {
  std::lock_guard<std::mutex> lock(mu_);
  return env_->data()->time;
}

bool TwinMotionModel::torque_enabled(int joint) const {
  std::lock_guard<std::mutex> lock(mu_);
  return joints_.at(static_cast<size_t>(joint)).torque;
}

std::unique_ptr<render::BatchRenderer> TwinMotionModel::MakeRenderer(int width, int height) const {
  return std::make_unique<render::BatchRenderer>(scene_->model.get(), width, height);
}

media::Image TwinMotionModel::Render(const render::BatchRenderer& renderer) const {
  media::Image image(renderer.width(), renderer.height(), 3);
  std::lock_guard<std::mutex> render_lock(render_mu_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    mj_copyData(snapshot_.get(), model_, env_->data());
  }
  // mj_step leaves the kinematics one substep behind the integrated positions.
  mj_kinematics(model_, snapshot_.get());
  renderer.Render(model_, snapshot_.get(), env_->camera_pose(), env_->lighting(), image.data(), nullptr);
  return image;
}

media::Image TwinMotionModel::RenderSensor() const {
  const render::BatchRenderer& renderer = *scene_->renderer;
  media::Image image(renderer.width(), renderer.height(), 3);
  std::vector<uint8_t> seg(static_cast<size_t>(renderer.width()) * renderer.height());
  std::lock_guard<std::mutex> render_lock(render_mu_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    mj_copyData(snapshot_.get(), model_, env_->data());
  }
  mj_kinematics(model_, snapshot_.get());
  renderer.Render(model_, snapshot_.get(), env_->camera_pose(), env_->lighting(), image.data(), seg.data());
  if (scene_->greenscreen) scene_->greenscreen->Apply(image.data(), seg.data());
  return image;
}

// ---------------------------------------------------------------------------------------------
// TwinCameraServer

TwinCameraServer::TwinCameraServer(std::shared_ptr<TwinMotionModel> twin, TwinCameraOptions options)
    : twin_(std::move(twin)), options_(std::move(options)) {
  if (!twin_) throw std::invalid_argument("TwinCameraServer: no twin");
  if (options_.width <= 0 || options_.height <= 0 || !(options_.fps > 0))
    throw ConfigError("virtual camera: width, height and fps must be positive");
  renderer_ = twin_->MakeRenderer(options_.width, options_.height);
  server_ = std::make_unique<camera::FrameServer>(options_.socket_path);
  TwinMotionModel* t = twin_.get();
  server_->SetPlaceObjectHandler([t](double x, double y, double yaw) { t->PlaceObject(x, y, yaw); });
  server_->SetSceneStateHandler([t] {
    const auto p = t->cube_pos();
    const sim::GraspCubeEval e = t->Evaluate();
    camera::SceneState st;
    st.x = p[0], st.y = p[1], st.z = p[2], st.yaw = t->cube_yaw();
    st.grasped = e.is_grasped, st.success = e.success;
    return st;
  });
  RenderNow();
  // Frames are rendered when a client asks and the last one is older than a frame period: a virtual robot
  // nobody watches renders nothing.
  server_->SetFrameSource([this] { return Render(); }, 1.0 / options_.fps);
}

TwinCameraServer::~TwinCameraServer() {
  if (server_) {
    server_->SetFrameSource(nullptr, 0);
    server_->SetPlaceObjectHandler(nullptr);
    server_->SetSceneStateHandler(nullptr);
  }
}

media::Image TwinCameraServer::Render() {
  std::lock_guard<std::mutex> lock(render_mu_);
  return twin_->Render(*renderer_);
}

void TwinCameraServer::RenderNow() {
  const double t = camera::NowSeconds();
  server_->SetFrame(Render(), t);
}

}  // namespace s2r::deploy
