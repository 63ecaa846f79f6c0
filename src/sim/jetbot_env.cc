#include "sim/jetbot_env.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/error.h"
#include "sim/mj_step.h"
#include "sim/model_loader.h"

namespace s2r::sim {

namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kWallHalfThickness = 0.025;  // m, the scene's walls
constexpr double kWallHalfHeight = 0.5;       // m
// m: the Goal task ends when the chassis centre comes this close to a wall's inner face (the robot's
// footprint reaches ~0.1 m from its centre), and draws the block at least this far from one.
constexpr double kWallMargin = 0.12;
constexpr double kBlockWallMargin = 0.15;  // m
constexpr int kBlockDrawTries = 32;
constexpr double kTippedUpZ = 0.5;  // the chassis's up axis below this z component: tipped over
// Goal's shaped reward (jetbot_env.h).
constexpr double kProgressScale = 20.0;  // per m
constexpr double kMaxProgress = 0.05;    // m per step counted
constexpr double kStepCost = 0.01;
constexpr double kSuccessBonus = 10.0;
constexpr double kOutPenalty = 5.0;
constexpr double kDirectRewardOffset = 30.0;

int IdOf(const mjModel* m, int type, const char* name) { return mj_name2id(m, type, name); }

double Yaw(const double* q) {  // quaternion w, x, y, z -> yaw about z
  return std::atan2(2.0 * (q[0] * q[3] + q[1] * q[2]), 1.0 - 2.0 * (q[2] * q[2] + q[3] * q[3]));
}

std::array<float, 4> Jitter(Rng& rng, const float* base, double jitter) {
  std::array<float, 4> c = {base[0], base[1], base[2], base[3]};
  for (int k = 0; k < 3; ++k)
    c[k] = static_cast<float>(std::clamp(base[k] + rng.Uniform(-jitter, jitter), 0.0, 1.0));
  return c;
}

void SetRgba(mjModel* m, int geom, const std::array<float, 4>& rgba) {
  m->geom_matid[geom] = -1;
  std::memcpy(m->geom_rgba + 4 * geom, rgba.data(), sizeof(rgba));
}

// The walls' inner faces at +-a.
void SizeArena(mjModel* m, const std::array<int, 4>& walls, double a) {
  const double t = kWallHalfThickness, h = kWallHalfHeight, len = a + 2.0 * t;
  const double pos[4][2] = {{a + t, 0}, {-a - t, 0}, {0, a + t}, {0, -a - t}};
  for (int w = 0; w < 4; ++w) {
    const int g = walls[w];
    m->geom_pos[3 * g] = pos[w][0];
    m->geom_pos[3 * g + 1] = pos[w][1];
    m->geom_pos[3 * g + 2] = h;
    const bool along_y = w < 2;
    m->geom_size[3 * g] = along_y ? t : len;
    m->geom_size[3 * g + 1] = along_y ? len : t;
    m->geom_size[3 * g + 2] = h;
    m->geom_rbound[g] = std::sqrt(t * t + len * len + h * h);
  }
}

}  // namespace

std::array<double, 3> PlanarPose(const double* free_qpos) {
  return {free_qpos[0], free_qpos[1], Yaw(free_qpos + 3)};
}

std::shared_ptr<const JetbotScene> LoadJetbotScene(const JetbotConfig& cfg) {
  auto scene = std::make_shared<JetbotScene>();
  const std::string asset_dir = AssetDir();
  const std::string scene_file = asset_dir + "/jetbot_room.xml";
  scene->robot_file = cfg.robot_mjcf_path.empty() ? asset_dir + "/jetbot.xml" : cfg.robot_mjcf_path;
  scene->model = LoadSceneWithRobot(scene_file, scene->robot_file, "robot_mjcf_path");
  mjModel* m = scene->model.get();
  const std::string& file = scene->robot_file;
  const char* joint_names[2] = {"left_wheel_joint", "right_wheel_joint"};
  const char* motor_names[2] = {"left_motor", "right_motor"};
  RequireNames(m, mjOBJ_BODY, {"chassis"}, "body", file);
  RequireNames(m, mjOBJ_JOINT, {joint_names[0], joint_names[1]}, "joint", file);
  RequireNames(m, mjOBJ_ACTUATOR, {motor_names[0], motor_names[1]}, "actuator", file);

  JetbotIds& ids = scene->ids;
  ids.chassis_body = IdOf(m, mjOBJ_BODY, "chassis");
  const int free_joint = m->body_jntadr[ids.chassis_body];
  if (free_joint < 0 || m->jnt_type[free_joint] != mjJNT_FREE)
    throw ConfigError("robot MJCF '" + file + "': body 'chassis' must have a free joint (its first joint)");
  ids.chassis_qpos_adr = m->jnt_qposadr[free_joint];
  ids.chassis_dof_adr = m->jnt_dofadr[free_joint];
  for (int w = 0; w < 2; ++w) {
    const int jid = IdOf(m, mjOBJ_JOINT, joint_names[w]);
    if (m->jnt_type[jid] != mjJNT_HINGE)
      throw ConfigError("robot MJCF '" + file + "': joint '" + joint_names[w] + "' must be a hinge");
    ids.wheel_qpos_adr[w] = m->jnt_qposadr[jid];
    ids.wheel_dof_adr[w] = m->jnt_dofadr[jid];
    const int a = ids.actuator[w] = IdOf(m, mjOBJ_ACTUATOR, motor_names[w]);
    if (m->actuator_trntype[a] != mjTRN_JOINT || m->actuator_trnid[2 * a] != jid)
      throw ConfigError("robot MJCF '" + file + "': actuator '" + motor_names[w] + "' must drive joint '" +
                        joint_names[w] + "'");
    for (int g = 0; g < m->ngeom; ++g)
      if (m->geom_bodyid[g] == m->jnt_bodyid[jid] && (m->geom_contype[g] || m->geom_conaffinity[g]))
        ids.wheel_geoms.push_back(g);
    if (m->actuator_dyntype[a] != mjDYN_NONE)
      throw ConfigError("robot MJCF '" + file + "': actuator '" + motor_names[w] +
                        "' must have no activation dynamics (the env sets its gain and bias)");
    // The DC motor (sim/jetbot_config.h): torque = stall * (d - qvel / max_wheel_speed), d in [-1, 1].
    m->actuator_gaintype[a] = mjGAIN_FIXED;
    m->actuator_biastype[a] = mjBIAS_AFFINE;
    std::fill(m->actuator_gainprm + mjNGAIN * a, m->actuator_gainprm + mjNGAIN * (a + 1), 0.0);
    std::fill(m->actuator_biasprm + mjNBIAS * a, m->actuator_biasprm + mjNBIAS * (a + 1), 0.0);
    m->actuator_gainprm[mjNGAIN * a] = cfg.motor.stall_torque;
    m->actuator_biasprm[mjNBIAS * a + 2] = -cfg.motor.stall_torque / cfg.motor.max_wheel_speed;
    m->actuator_ctrllimited[a] = 1;
    m->actuator_ctrlrange[2 * a] = -1.0;
    m->actuator_ctrlrange[2 * a + 1] = 1.0;
    m->actuator_forcelimited[a] = 0;
    std::fill(m->actuator_gear + 6 * a, m->actuator_gear + 6 * (a + 1), 0.0);
    m->actuator_gear[6 * a] = 1.0;
  }
  if (ids.wheel_geoms.empty())
    throw ConfigError("robot MJCF '" + file + "': the wheel joints' bodies have no colliding geoms");

  ids.block_body = IdOf(m, mjOBJ_BODY, "block");
  ids.block_geom = IdOf(m, mjOBJ_GEOM, "block");
  ids.floor_geom = IdOf(m, mjOBJ_GEOM, "floor");
  const char* walls[4] = {"wall_px", "wall_nx", "wall_py", "wall_ny"};
  for (int w = 0; w < 4; ++w) ids.wall_geoms[w] = IdOf(m, mjOBJ_GEOM, walls[w]);
  S2R_CHECK(ids.block_body >= 0 && ids.block_geom >= 0 && ids.floor_geom >= 0 &&
            *std::min_element(ids.wall_geoms.begin(), ids.wall_geoms.end()) >= 0);
  const int block_joint = m->body_jntadr[ids.block_body];
  ids.block_qpos_adr = m->jnt_qposadr[block_joint];
  ids.block_dof_adr = m->jnt_dofadr[block_joint];
  if (std::abs(m->opt.timestep * kJetbotSimFreq - 1.0) > 1e-9)
    throw ConfigError("scene '" + scene_file + "' with robot MJCF '" + file +
                      "': <option timestep> must stay " + std::to_string(1.0 / kJetbotSimFreq) +
                      " s (the task steps " + std::to_string(kJetbotSubsteps) +
                      " substeps per control step); got " + std::to_string(m->opt.timestep));
  S2R_CHECK(m->nbody < 255, "segmentation ids are uint8");
  SizeArena(m, ids.wall_geoms, cfg.arena_half_size);

  // The robot's measures as it stands in its file.
  MjDataPtr d = MakeData(m);
  mj_forward(m, d.get());
  const double* cp = d->xpos + 3 * ids.chassis_body;
  const double* cr = d->xmat + 9 * ids.chassis_body;
  scene->stand_height = cp[2];
  double wheel_y[2], wheel_z[2];
  for (int w = 0; w < 2; ++w) {
    const int body = m->jnt_bodyid[IdOf(m, mjOBJ_JOINT, joint_names[w])];
    const double* wp = d->xpos + 3 * body;
    const double rel[3] = {wp[0] - cp[0], wp[1] - cp[1], wp[2] - cp[2]};
    wheel_y[w] = cr[1] * rel[0] + cr[4] * rel[1] + cr[7] * rel[2];  // chassis y axis = column 1
    wheel_z[w] = wp[2];
  }
  scene->track = std::fabs(wheel_y[0] - wheel_y[1]);
  scene->wheel_radius = 0.5 * (wheel_z[0] + wheel_z[1]);
  if (scene->track <= 0.0 || scene->wheel_radius <= 0.0)
    throw ConfigError("robot MJCF '" + file +
                      "': the robot must stand on its wheels as placed in the file (wheel centres above the "
                      "floor z = 0, apart along the chassis y axis)");
  scene->renderer = std::make_shared<render::BatchRenderer>(m, cfg.sensor_width, cfg.sensor_height);
  return scene;
}

std::vector<std::string> JetbotObsNames(ObsMode mode) {
  if (mode == ObsMode::kRgb) return {"action/left", "action/right"};
  return {"block/x_robot",     "block/y_robot",       "block/distance",  "block/cos_bearing",
          "block/sin_bearing", "action/left",         "action/right",    "wheel_speed/left",
          "wheel_speed/right", "chassis/forward_vel", "chassis/yaw_rate"};
}

EnvSpec JetbotSpec(const JetbotConfig& cfg) {
  EnvSpec spec;
  spec.id = std::string(JetbotEnvId(cfg.task));
  spec.action_dim = 2;
  spec.action_low = {-1.0, -1.0};
  spec.action_high = {1.0, 1.0};
  spec.max_episode_steps = cfg.max_episode_steps;
  spec.control_freq = kJetbotControlFreq;
  spec.obs_names = JetbotObsNames(cfg.obs_mode);
  spec.obs_dim = static_cast<int>(spec.obs_names.size());
  if (cfg.privileged_state) spec.privileged_obs_names = JetbotObsNames(ObsMode::kState);
  spec.info_names = {"success", "distance", "bearing", "out_of_arena"};
  if (cfg.obs_mode == ObsMode::kRgb) {
    spec.image_height = cfg.sensor_height;
    spec.image_width = cfg.sensor_width;
  }
  return spec;
}

EnvMaker MakeJetbot(const JetbotConfig& cfg) {
  cfg.Validate("env config");
  return MakeSharedSceneEnvs<JetbotEnv>(cfg, JetbotSpec(cfg), LoadJetbotScene(cfg));
}

double JetbotDirectReward(double distance) {
  return std::exp(1.0 / std::max(distance, kJetbotMinRewardDistance)) - kDirectRewardOffset;
}

double JetbotGoalReward(double prev_distance, double distance, bool success, bool out_of_arena) {
  const double progress = std::clamp(prev_distance - distance, -kMaxProgress, kMaxProgress);
  return kProgressScale * progress - kStepCost + (success ? kSuccessBonus : 0.0) -
         (out_of_arena ? kOutPenalty : 0.0);
}

JetbotEnv::JetbotEnv(std::shared_ptr<const JetbotScene> scene, std::shared_ptr<const JetbotConfig> cfg,
                     uint64_t seed, int index)
    : scene_(std::move(scene)),
      cfg_(std::move(cfg)),
      model_(CopyModel(scene_->model.get())),
      data_(MakeData(model_.get())),
      rng_(Rng::ForStream(seed, static_cast<uint64_t>(index))),
      visual_rng_(Rng::ForStream(seed ^ 0x5EED0F5EE5ull, static_cast<uint64_t>(index))),
      camera_period_substeps_(static_cast<int>(std::lround(cfg_->camera.update_period * kJetbotSimFreq))) {
  if (cfg_->obs_mode == ObsMode::kRgb) frame_data_ = MakeData(model_.get());
  Reconfigure();
  Reset(false);
}

void JetbotEnv::Reconfigure() {
  const JetbotRandomization& r = cfg_->domain_randomization_config;
  const bool dr = cfg_->domain_randomization;
  const mjModel* base = scene_->model.get();
  mjModel* m = model_.get();
  const JetbotIds& id = ids();

  // Physics: each motor's duty gain and the tyres' friction.
  for (int w = 0; w < 2; ++w) {
    const int a = id.actuator[w];
    const double gain = dr ? rng_.Uniform(r.motor_gain_range[0], r.motor_gain_range[1]) : 1.0;
    m->actuator_gainprm[mjNGAIN * a] = base->actuator_gainprm[mjNGAIN * a] * gain;
  }
  const double friction = dr ? rng_.Uniform(r.wheel_friction_range[0], r.wheel_friction_range[1]) : -1.0;
  for (int g : id.wheel_geoms) m->geom_friction[3 * g] = dr ? friction : base->geom_friction[3 * g];

  // Visuals: colours, lights, the camera on the chassis.
  auto rgba_of = [&](int g) {
    return base->geom_matid[g] >= 0 ? base->mat_rgba + 4 * base->geom_matid[g] : base->geom_rgba + 4 * g;
  };
  visuals_.floor_rgba = Jitter(visual_rng_, rgba_of(id.floor_geom), dr ? r.floor_color_jitter : 0.0);
  visuals_.wall_rgba = Jitter(visual_rng_, rgba_of(id.wall_geoms[0]), dr ? r.wall_color_jitter : 0.0);
  visuals_.block_rgba = Jitter(visual_rng_, rgba_of(id.block_geom), dr ? r.block_color_jitter : 0.0);
  SetRgba(m, id.floor_geom, visuals_.floor_rgba);
  for (int g : id.wall_geoms) SetRgba(m, g, visuals_.wall_rgba);
  SetRgba(m, id.block_geom, visuals_.block_rgba);
  const JetbotCamera& cam = cfg_->camera;
  visuals_.ambient = {0.3, 0.3, 0.3};
  visuals_.diffuse = 0.5;
  visuals_.camera_pos = cam.pos;
  visuals_.camera_pitch = cam.pitch;
  visuals_.fov = cam.fov;
  if (dr) {
    for (auto& a : visuals_.ambient) a = visual_rng_.Uniform(r.ambient_range[0], r.ambient_range[1]);
    visuals_.diffuse = visual_rng_.Uniform(r.diffuse_range[0], r.diffuse_range[1]);
    for (int k = 0; k < 3; ++k)
      visuals_.camera_pos[k] += visual_rng_.Uniform(-r.camera_pos_noise[k], r.camera_pos_noise[k]);
    visuals_.camera_pitch += visual_rng_.Uniform(-r.camera_pitch_noise, r.camera_pitch_noise);
    visuals_.fov += visual_rng_.Uniform(-r.camera_fov_noise, r.camera_fov_noise);
  }
}

void JetbotEnv::Reset(bool reconfigure) {
  if (reconfigure) Reconfigure();
  const JetbotConfig& c = *cfg_;
  mj_resetData(model_.get(), data_.get());
  const double rx = c.robot_start[0] + rng_.Uniform(-c.robot_pose_noise.xy, c.robot_pose_noise.xy);
  const double ry = c.robot_start[1] + rng_.Uniform(-c.robot_pose_noise.xy, c.robot_pose_noise.xy);
  const double ryaw = c.robot_start[2] + rng_.Uniform(-c.robot_pose_noise.yaw, c.robot_pose_noise.yaw);
  double bx = c.block_start[0], by = c.block_start[1], byaw = 0.0;
  if (c.task == JetbotTask::kGoal) {
    // In front of the robot, redrawn while it would lie within kBlockWallMargin of a wall (with the defaults
    // a first draw always fits; a robot configured to start facing a wall may get the block clamped
    // toward it).
    const double lim = c.arena_half_size - kBlockWallMargin;
    for (int t = 0; t < kBlockDrawTries; ++t) {
      const double dist = rng_.Uniform(c.goal_distance_range[0], c.goal_distance_range[1]);
      const double bearing = rng_.Uniform(c.goal_bearing_range[0], c.goal_bearing_range[1]);
      bx = rx + dist * std::cos(ryaw + bearing);
      by = ry + dist * std::sin(ryaw + bearing);
      if (std::fabs(bx) <= lim && std::fabs(by) <= lim) break;
    }
    bx = std::clamp(bx, -lim, lim);
    by = std::clamp(by, -lim, lim);
    byaw = rng_.Uniform(-kPi, kPi);
  }
  const double pose[3] = {rx, ry, ryaw};
  SetRobotJoints(pose);
  PlaceObject(bx, by, byaw);
  last_action_ = {0, 0};
  Refresh();
}

void JetbotEnv::Refresh() {
  mj_forward(model_.get(), data_.get());
  Evaluate();
  prev_distance_ = eval_.distance;
  reward_ = cfg_->task == JetbotTask::kDirect
                ? JetbotDirectReward(eval_.distance)
                : JetbotGoalReward(eval_.distance, eval_.distance, eval_.success, eval_.out_of_arena);
  UpdateCamera();
  TakeFrame();
}

bool JetbotEnv::Step(const float* action) {
  const mjModel* m = model_.get();
  mjData* d = data_.get();
  for (int w = 0; w < 2; ++w) {
    last_action_[w] = std::clamp(action[w], -1.0f, 1.0f);
    d->ctrl[ids().actuator[w]] = last_action_[w];
  }
  if (!StepChecked(m, d, kJetbotSubsteps)) return false;
  // mj_step leaves positions integrated but kinematics one substep old: refresh them (the camera, the
  // renderer and the scripted driver read the bodies' and geoms' poses).
  mj_kinematics(m, d);
  Evaluate();
  reward_ = cfg_->task == JetbotTask::kDirect
                ? JetbotDirectReward(eval_.distance)
                : JetbotGoalReward(prev_distance_, eval_.distance, eval_.success, eval_.out_of_arena);
  prev_distance_ = eval_.distance;
  UpdateCamera();
  substeps_since_frame_ += kJetbotSubsteps;
  if (substeps_since_frame_ >= camera_period_substeps_) TakeFrame();
  return true;
}

bool JetbotEnv::terminated() const {
  return cfg_->task == JetbotTask::kGoal && (eval_.success || eval_.out_of_arena);
}

void JetbotEnv::UpdateCamera() {
  // The eye and view direction in the chassis frame, turned by the chassis's orientation.
  const double* q = data_->qpos + ids().chassis_qpos_adr;
  double R[9];
  mju_quat2Mat(R, q + 3);
  const auto& p = visuals_.camera_pos;
  const double dir[3] = {std::cos(visuals_.camera_pitch), 0.0, -std::sin(visuals_.camera_pitch)};
  for (int r = 0; r < 3; ++r) {
    camera_.eye[r] = q[r] + R[3 * r] * p[0] + R[3 * r + 1] * p[1] + R[3 * r + 2] * p[2];
    camera_.target[r] = camera_.eye[r] + R[3 * r] * dir[0] + R[3 * r + 1] * dir[1] + R[3 * r + 2] * dir[2];
  }
  camera_.roll = 0.0;
  camera_.fovy = visuals_.fov;
}

void JetbotEnv::TakeFrame() {
  substeps_since_frame_ = 0;
  if (!frame_data_) return;
  const int n = model_->ngeom;
  std::copy(data_->geom_xpos, data_->geom_xpos + 3 * n, frame_data_->geom_xpos);
  std::copy(data_->geom_xmat, data_->geom_xmat + 9 * n, frame_data_->geom_xmat);
  frame_camera_ = camera_;
  frame_rendered_ = false;
}

render::Lighting JetbotEnv::lighting() const {
  render::Lighting l;
  l.ambient = visuals_.ambient;
  l.diffuse = visuals_.diffuse;
  return l;
}

void JetbotEnv::RenderCamera(const render::BatchRenderer& renderer, const render::Greenscreen* greenscreen,
                             uint8_t* rgb, uint8_t* seg) const {
  thread_local std::vector<uint8_t> scratch;
  if (greenscreen && !seg) {
    scratch.resize(static_cast<size_t>(renderer.width()) * renderer.height());
    seg = scratch.data();
  }
  renderer.Render(model_.get(), data_.get(), camera_, lighting(), rgb, seg);
  if (greenscreen) greenscreen->Apply(rgb, seg);
}

std::shared_ptr<const render::Greenscreen> JetbotEnv::MakeGreenscreen(int, int) const { return nullptr; }

void JetbotEnv::RenderObs(uint8_t* image) const {
  const render::BatchRenderer& renderer = *scene_->renderer;
  if (!frame_data_) {  // state mode: no held frame, the current view
    RenderCamera(renderer, nullptr, image, nullptr);
    return;
  }
  const size_t bytes = static_cast<size_t>(renderer.width()) * renderer.height() * 3;
  if (!frame_rendered_) {
    frame_image_.resize(bytes);
    renderer.Render(model_.get(), frame_data_.get(), frame_camera_, lighting(), frame_image_.data(), nullptr);
    frame_rendered_ = true;
  }
  std::memcpy(image, frame_image_.data(), bytes);
}

void JetbotEnv::SetRobotJoints(std::span<const double> qpos, std::span<const double> qvel) {
  S2R_CHECK(qpos.size() == 3,
            "SetRobotJoints: " << qpos.size() << " values for the Jetbot's planar pose [x, y, yaw]");
  S2R_CHECK(qvel.empty() || qvel.size() == 3,
            "SetRobotJoints: " << qvel.size() << " velocities for the Jetbot's [vx, vy, yaw rate]");
  const JetbotIds& id = ids();
  double* q = data_->qpos + id.chassis_qpos_adr;  // position, quaternion w x y z
  q[0] = qpos[0];
  q[1] = qpos[1];
  q[2] = scene_->stand_height;
  q[3] = std::cos(0.5 * qpos[2]);
  q[4] = q[5] = 0.0;
  q[6] = std::sin(0.5 * qpos[2]);
  double* v = data_->qvel + id.chassis_dof_adr;  // linear (world frame), angular (chassis frame)
  const double vx = qvel.empty() ? 0.0 : qvel[0], vy = qvel.empty() ? 0.0 : qvel[1];
  const double wz = qvel.empty() ? 0.0 : qvel[2];
  v[0] = vx, v[1] = vy, v[2] = 0.0, v[3] = 0.0, v[4] = 0.0, v[5] = wz;
  // The wheels roll with the chassis: v_left/right = v_forward -+ wz * track / 2.
  const double forward = vx * std::cos(qpos[2]) + vy * std::sin(qpos[2]);
  const double half_track = 0.5 * scene_->track;
  data_->qvel[id.wheel_dof_adr[0]] = (forward - wz * half_track) / scene_->wheel_radius;
  data_->qvel[id.wheel_dof_adr[1]] = (forward + wz * half_track) / scene_->wheel_radius;
}

void JetbotEnv::PlaceObject(double x, double y, double yaw) {
  const JetbotIds& id = ids();
  double* q = data_->qpos + id.block_qpos_adr;
  q[0] = x;
  q[1] = y;
  q[2] = model_->geom_size[3 * id.block_geom + 2];  // resting on the floor
  q[3] = std::cos(0.5 * yaw);
  q[4] = q[5] = 0.0;
  q[6] = std::sin(0.5 * yaw);
  std::fill(data_->qvel + id.block_dof_adr, data_->qvel + id.block_dof_adr + 6, 0.0);
}

std::array<double, 3> JetbotEnv::chassis_pose() const {
  return PlanarPose(data_->qpos + ids().chassis_qpos_adr);
}

std::array<double, 3> JetbotEnv::block_pos() const {
  const double* q = data_->qpos + ids().block_qpos_adr;
  return {q[0], q[1], q[2]};
}

std::array<double, 2> JetbotEnv::wheel_speeds() const {
  return {data_->qvel[ids().wheel_dof_adr[0]], data_->qvel[ids().wheel_dof_adr[1]]};
}

double JetbotEnv::motor_gain(int wheel) const {
  const int a = ids().actuator[wheel];
  return model_->actuator_gainprm[mjNGAIN * a] / scene_->model->actuator_gainprm[mjNGAIN * a];
}

double JetbotEnv::wheel_friction() const { return model_->geom_friction[3 * ids().wheel_geoms[0]]; }

void JetbotEnv::Evaluate() {
  const JetbotIds& id = ids();
  const double* c = data_->qpos + id.chassis_qpos_adr;
  const double* b = data_->qpos + id.block_qpos_adr;
  JetbotEval e;
  const double dx = b[0] - c[0], dy = b[1] - c[1], dz = b[2] - c[2];
  e.distance = std::sqrt(dx * dx + dy * dy + dz * dz);
  const double yaw = Yaw(c + 3), cy = std::cos(yaw), sy = std::sin(yaw);
  e.block_robot = {cy * dx + sy * dy, -sy * dx + cy * dy};
  e.bearing = std::atan2(e.block_robot[1], e.block_robot[0]);
  e.success = e.distance < cfg_->success_distance;
  const double lim = cfg_->arena_half_size - kWallMargin;
  const double up_z = 1.0 - 2.0 * (c[4] * c[4] + c[5] * c[5]);  // the chassis z axis's world z component
  e.out_of_arena = std::fabs(c[0]) > lim || std::fabs(c[1]) > lim || up_z < kTippedUpZ;
  eval_ = e;
}

void JetbotEnv::WriteObs(float* obs) const { WriteObsOf(cfg_->obs_mode, obs); }

void JetbotEnv::WritePrivilegedObs(float* obs) const { WriteObsOf(ObsMode::kState, obs); }

void JetbotEnv::WriteObsOf(ObsMode mode, float* obs) const {
  if (mode == ObsMode::kRgb) {
    obs[0] = last_action_[0];
    obs[1] = last_action_[1];
    return;
  }
  const JetbotIds& id = ids();
  const double* c = data_->qpos + id.chassis_qpos_adr;
  const double* v = data_->qvel + id.chassis_dof_adr;
  const double yaw = Yaw(c + 3);
  const double planar = std::hypot(eval_.block_robot[0], eval_.block_robot[1]);
  obs[0] = static_cast<float>(eval_.block_robot[0]);
  obs[1] = static_cast<float>(eval_.block_robot[1]);
  obs[2] = static_cast<float>(eval_.distance);
  obs[3] = static_cast<float>(planar > 0 ? eval_.block_robot[0] / planar : 1.0);
  obs[4] = static_cast<float>(planar > 0 ? eval_.block_robot[1] / planar : 0.0);
  obs[5] = last_action_[0];
  obs[6] = last_action_[1];
  const double wmax = cfg_->motor.max_wheel_speed;
  obs[7] = static_cast<float>(data_->qvel[id.wheel_dof_adr[0]] / wmax);
  obs[8] = static_cast<float>(data_->qvel[id.wheel_dof_adr[1]] / wmax);
  obs[9] = static_cast<float>(v[0] * std::cos(yaw) + v[1] * std::sin(yaw));
  obs[10] = static_cast<float>(v[5]);
}

void JetbotEnv::WriteInfo(float* info) const {
  info[0] = eval_.success ? 1.0f : 0.0f;
  info[1] = static_cast<float>(eval_.distance);
  info[2] = static_cast<float>(eval_.bearing);
  info[3] = eval_.out_of_arena ? 1.0f : 0.0f;
}

}  // namespace s2r::sim
