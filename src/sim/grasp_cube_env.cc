#include "sim/grasp_cube_env.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>

#include "core/error.h"
#include "media/image.h"
#include "sim/mj_step.h"
#include "sim/model_loader.h"

namespace s2r::sim {

namespace {

constexpr double kGraspMinForce = 0.5;     // N, per jaw
constexpr double kGraspMaxAngle = 110.0;   // deg, contact force vs the jaw's opening direction
constexpr double kTableTouchForce = 1e-2;  // N
constexpr double kReachedDist = 0.03;      // m
constexpr double kRestTolerance = 0.2;     // rad
constexpr double kLiftMargin = 1e-3;       // m
constexpr double kCubeDensity = 200.0;     // kg/m^3
constexpr double kRadToDeg = 180.0 / so100::kPi;

int IdOf(const mjModel* m, int type, const char* name) { return mj_name2id(m, type, name); }

bool BodyIsIn(const mjModel* m, int body, int root) {
  for (; body > 0; body = m->body_parentid[body])
    if (body == root) return true;
  return root == 0 && body == 0;
}

double Norm3(const double* v) { return std::sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]); }

double AngleDeg(const double* a, const double* b) {
  const double na = Norm3(a), nb = Norm3(b);
  if (na <= 0 || nb <= 0) return 180.0;
  const double c = std::clamp((a[0] * b[0] + a[1] * b[1] + a[2] * b[2]) / (na * nb), -1.0, 1.0);
  return std::acos(c) * kRadToDeg;
}

// The greenscreen of `cfg` at width x height keeping the segmentation ids `keep`; null without a photo or
// in mode none. Throws ConfigError naming greenscreen_overlay_path if the photo cannot be read.
std::shared_ptr<const render::Greenscreen> LoadGreenscreen(const GraspCubeConfig& cfg,
                                                           const std::array<bool, 256>& keep, int width,
                                                           int height) {
  if (cfg.greenscreen_overlay_path.empty() || cfg.rgb_overlay_mode == render::OverlayMode::kNone)
    return nullptr;
  // As the reference: the photo is resized to the sensor size with no crop.
  const media::Image photo = media::ResizeBilinear(
      media::ReadImage(cfg.greenscreen_overlay_path, "greenscreen_overlay_path"), width, height);
  return std::make_shared<render::Greenscreen>(photo.pixels, width, height, keep, cfg.rgb_overlay_mode);
}

}  // namespace

std::shared_ptr<const GraspCubeScene> LoadGraspCubeScene(const GraspCubeConfig& cfg) {
  auto scene = std::make_shared<GraspCubeScene>();
  const std::string asset_dir = AssetDir();
  scene->robot_file = cfg.robot_mjcf_path.empty() ? asset_dir + "/so100.xml" : cfg.robot_mjcf_path;
  scene->model =
      LoadSceneWithRobot(asset_dir + "/so100_grasp_cube.xml", scene->robot_file, "robot_mjcf_path");
  const mjModel* m = scene->model.get();
  std::vector<std::string> joints(so100::kJointNames.begin(), so100::kJointNames.end());
  RequireNames(m, mjOBJ_JOINT, joints, "joint", scene->robot_file);
  RequireNames(m, mjOBJ_ACTUATOR, joints, "actuator", scene->robot_file);
  RequireNames(m, mjOBJ_BODY, {"base", "fixed_jaw", "moving_jaw"}, "body", scene->robot_file);
  RequireNames(m, mjOBJ_SITE, {"fixed_jaw_tip", "moving_jaw_tip"}, "site", scene->robot_file);

  GraspCubeIds& ids = scene->ids;
  for (int j = 0; j < so100::kNumJoints; ++j) {
    const std::string name(so100::kJointNames[j]);
    const int jid = IdOf(m, mjOBJ_JOINT, name.c_str());
    if (m->jnt_type[jid] != mjJNT_HINGE)
      throw ConfigError("robot MJCF '" + scene->robot_file + "': joint '" + name + "' must be a hinge");
    ids.qpos_adr[j] = m->jnt_qposadr[jid];
    ids.dof_adr[j] = m->jnt_dofadr[jid];
    ids.actuator[j] = IdOf(m, mjOBJ_ACTUATOR, name.c_str());
    if (m->actuator_trntype[ids.actuator[j]] != mjTRN_JOINT || m->actuator_trnid[2 * ids.actuator[j]] != jid)
      throw ConfigError("robot MJCF '" + scene->robot_file + "': actuator '" + name +
                        "' must drive the joint of the same name");
  }
  ids.cube_body = IdOf(m, mjOBJ_BODY, "cube");
  ids.cube_geom = IdOf(m, mjOBJ_GEOM, "cube");
  const int cube_joint = m->body_jntadr[ids.cube_body];
  ids.cube_qpos_adr = m->jnt_qposadr[cube_joint];
  ids.cube_dof_adr = m->jnt_dofadr[cube_joint];
  ids.fixed_jaw_body = IdOf(m, mjOBJ_BODY, "fixed_jaw");
  ids.moving_jaw_body = IdOf(m, mjOBJ_BODY, "moving_jaw");
  ids.fixed_tip_site = IdOf(m, mjOBJ_SITE, "fixed_jaw_tip");
  ids.moving_tip_site = IdOf(m, mjOBJ_SITE, "moving_jaw_tip");
  ids.table_geom = IdOf(m, mjOBJ_GEOM, "table_top");
  const int base = IdOf(m, mjOBJ_BODY, "base");
  for (int g = 0; g < m->ngeom; ++g)
    if (BodyIsIn(m, m->geom_bodyid[g], base)) ids.robot_geoms.push_back(g);
  S2R_CHECK(ids.cube_geom >= 0 && ids.table_geom >= 0);
  if (std::abs(m->opt.timestep * kSimFreq - 1.0) > 1e-9)
    throw ConfigError("scene '" + asset_dir + "/so100_grasp_cube.xml' with robot MJCF '" + scene->robot_file +
                      "': <option timestep> must stay " + std::to_string(1.0 / kSimFreq) +
                      " s (the task steps " + std::to_string(kSubsteps) +
                      " substeps per control step); got " + std::to_string(m->opt.timestep));
  S2R_CHECK(m->nbody < 255, "segmentation ids are uint8");
  for (int b = 0; b < m->nbody; ++b)
    scene->keep[static_cast<size_t>(b + 1)] = BodyIsIn(m, b, base) || b == ids.cube_body;
  scene->renderer = std::make_shared<render::BatchRenderer>(m, cfg.sensor_width, cfg.sensor_height);
  scene->greenscreen = LoadGreenscreen(cfg, scene->keep, cfg.sensor_width, cfg.sensor_height);
  return scene;
}

std::vector<std::string> GraspCubeObsNames(ObsMode mode) {
  std::vector<std::string> names;
  for (const auto& n : so100::kJointNames) names.push_back("qpos/" + std::string(n));
  for (const auto& n : so100::kJointNames) names.push_back("target_qpos/" + std::string(n));
  for (int j = 0; j < so100::kNumArmJoints; ++j)
    names.push_back("dist_to_rest_qpos/" + std::string(so100::kJointNames[j]));
  if (mode == ObsMode::kState) {
    names.push_back("is_grasped");
    for (const char* n : {"x", "y", "z", "qw", "qx", "qy", "qz"})
      names.push_back(std::string("obj_pose/") + n);
    for (const char* n : {"x", "y", "z"}) names.push_back(std::string("tcp_pos/") + n);
    for (const char* n : {"x", "y", "z"}) names.push_back(std::string("tcp_to_obj_pos/") + n);
  }
  return names;
}

EnvSpec GraspCubeSpec(const GraspCubeConfig& cfg) {
  EnvSpec spec;
  spec.id = kGraspCubeId;
  spec.action_dim = so100::kNumJoints;
  const bool abs = cfg.control_mode == ControlMode::kJointPos;
  for (int j = 0; j < so100::kNumJoints; ++j) {
    spec.action_low.push_back(abs ? so100::kJointLow[j] : -1.0);
    spec.action_high.push_back(abs ? so100::kJointHigh[j] : 1.0);
  }
  spec.max_episode_steps = cfg.max_episode_steps;
  spec.control_freq = kControlFreq;
  spec.obs_names = GraspCubeObsNames(cfg.obs_mode);
  spec.obs_dim = static_cast<int>(spec.obs_names.size());
  if (cfg.privileged_state) spec.privileged_obs_names = GraspCubeObsNames(ObsMode::kState);
  spec.info_names = {"success",        "is_grasped",  "reached_object",
                     "touching_table", "cube_lifted", "distance_to_rest_qpos"};
  if (cfg.obs_mode == ObsMode::kRgb) {
    spec.image_height = cfg.sensor_height;
    spec.image_width = cfg.sensor_width;
  }
  return spec;
}

double GraspCubeDenseReward(const GraspCubeEval& e) {
  const double g = e.is_grasped ? 1.0 : 0.0;
  const double reach = 1.0 - std::tanh(5.0 * e.tcp_to_obj_dist);
  const double place = std::exp(-2.0 * e.distance_to_rest_qpos);
  return reach + g + g * place - 2.0 * (e.touching_table ? 1.0 : 0.0);
}

double GraspCubeReward(const GraspCubeEval& e, RewardMode mode) {
  switch (mode) {
    case RewardMode::kNormalizedDense:
      return GraspCubeDenseReward(e) / 3.0;
    case RewardMode::kDense:
      return GraspCubeDenseReward(e);
    case RewardMode::kSparse:
      return e.success ? 1.0 : 0.0;
    case RewardMode::kNone:
      return 0.0;
  }
  return 0.0;
}

GraspCubeEnv::GraspCubeEnv(std::shared_ptr<const GraspCubeScene> scene,
                           std::shared_ptr<const GraspCubeConfig> cfg, uint64_t seed, int index)
    : scene_(std::move(scene)),
      cfg_(std::move(cfg)),
      controller_(so100::ControllerSpec()),
      model_(CopyModel(scene_->model.get())),
      data_(MakeData(model_.get())),
      rng_(Rng::ForStream(seed, static_cast<uint64_t>(index))),
      visual_rng_(Rng::ForStream(seed ^ 0x5EED0F5EE5ull, static_cast<uint64_t>(index))) {
  Reconfigure();
  Reset(false);
}

double GraspCubeEnv::cube_friction() const { return model_->geom_friction[3 * ids().cube_geom]; }

void GraspCubeEnv::Reconfigure() {
  const GraspCubeRandomization& r = cfg_->domain_randomization_config;
  const bool dr = cfg_->domain_randomization;
  mjModel* m = model_.get();
  const GraspCubeIds& id = ids();

  // Cube: size, friction, colour (the reference's load-time randomization).
  double half = 0.5 * (r.cube_half_size_range[0] + r.cube_half_size_range[1]);
  double friction = r.cube_friction_mean;
  std::array<float, 4> rgba = {1, 0, 0, 1};
  if (dr) {
    half = rng_.Uniform(r.cube_half_size_range[0], r.cube_half_size_range[1]);
    if (r.randomize_cube_color)
      for (int c = 0; c < 3; ++c) rgba[c] = static_cast<float>(visual_rng_.Uniform());
    friction = std::clamp(rng_.Normal(r.cube_friction_mean, r.cube_friction_std), r.cube_friction_bounds[0],
                          r.cube_friction_bounds[1]);
  }
  cube_half_size_ = half;
  const int g = id.cube_geom, b = id.cube_body;
  for (int k = 0; k < 3; ++k) m->geom_size[3 * g + k] = half;
  m->geom_rbound[g] = half * std::sqrt(3.0);
  m->geom_friction[3 * g] = friction;
  std::memcpy(m->geom_rgba + 4 * g, rgba.data(), sizeof(rgba));
  const double edge = 2.0 * half;
  const double mass = kCubeDensity * edge * edge * edge;
  m->body_mass[b] = mass;
  for (int k = 0; k < 3; ++k) m->body_inertia[3 * b + k] = mass * edge * edge / 6.0;
  visuals_.cube_rgba = rgba;

  // Visual load-time draws: fov, ambient light, robot colour.
  visuals_.fov = cfg_->base_camera_settings.fov;
  visuals_.ambient = {0.3, 0.3, 0.3};
  if (dr) {
    visuals_.fov += r.camera_fov_noise * (2.0 * visual_rng_.Uniform() - 1.0);
    if (r.randomize_lighting)
      for (auto& a : visuals_.ambient) a = visual_rng_.Uniform(0.2, 0.5);
  }
  if (r.robot_color_mode != RobotColorMode::kDefault) {
    for (int rg : id.robot_geoms) {
      if (scene_->model->geom_rgba[4 * rg + 3] == 0) continue;
      std::array<double, 3> c = r.robot_color;
      if (dr && r.robot_color_mode == RobotColorMode::kRandom)
        for (auto& v : c) v = visual_rng_.Uniform();
      else if (r.robot_color_mode == RobotColorMode::kRandom)
        continue;  // "random" without DR keeps the model's colours
      m->geom_matid[rg] = -1;
      for (int k = 0; k < 3; ++k) m->geom_rgba[4 * rg + k] = static_cast<float>(c[k]);
      m->geom_rgba[4 * rg + 3] = 1.0f;
    }
  }
  mj_setConst(m, data_.get());
}

void GraspCubeEnv::Reset(bool reconfigure) {
  if (reconfigure) Reconfigure();
  const mjModel* m = model_.get();
  mjData* d = data_.get();
  mj_resetData(m, d);
  const so100::ResetDraw r = so100::DrawReset(rng_, cfg_->reset_distribution());
  SetRobotJoints(r.qpos);
  PlaceObject(r.cube_x, r.cube_y, r.cube_yaw);
  mj_forward(m, d);
  Evaluate();
  reward_ = 0;
  DrawCamera();
}

void GraspCubeEnv::DrawCamera() {
  const CameraSettings& base = cfg_->base_camera_settings;
  const GraspCubeRandomization& r = cfg_->domain_randomization_config;
  camera_.eye = base.pos;
  camera_.target = base.target;
  camera_.roll = 0;
  camera_.fovy = visuals_.fov;
  if (!cfg_->domain_randomization) return;
  // The reference's camera noise: the eye uniform in a box of full width max_camera_offset, the look-at
  // target with Gaussian noise, and a Gaussian roll about the view axis.
  for (int k = 0; k < 3; ++k) {
    camera_.eye[k] += (visual_rng_.Uniform() - 0.5) * r.max_camera_offset[k];
    camera_.target[k] += visual_rng_.Normal(0.0, r.camera_target_noise);
  }
  camera_.roll = visual_rng_.Normal(0.0, r.camera_view_rot_noise);
}

render::Lighting GraspCubeEnv::lighting() const {
  render::Lighting l;
  l.ambient = visuals_.ambient;
  return l;
}

void GraspCubeEnv::RenderCamera(const render::BatchRenderer& renderer, const render::Greenscreen* greenscreen,
                                uint8_t* rgb, uint8_t* seg) const {
  thread_local std::vector<uint8_t> scratch;
  if (greenscreen && !seg) {
    scratch.resize(static_cast<size_t>(renderer.width()) * renderer.height());
    seg = scratch.data();
  }
  renderer.Render(model_.get(), data_.get(), camera_, lighting(), rgb, seg);
  if (greenscreen) greenscreen->Apply(rgb, seg);
}

std::shared_ptr<const render::Greenscreen> GraspCubeEnv::MakeGreenscreen(int width, int height) const {
  return LoadGreenscreen(*cfg_, scene_->keep, width, height);
}

void GraspCubeEnv::RenderObs(uint8_t* image) const {
  RenderCamera(*scene_->renderer, scene_->greenscreen.get(), image, nullptr);
}

bool GraspCubeEnv::Step(const float* action) {
  const mjModel* m = model_.get();
  mjData* d = data_.get();
  const GraspCubeIds& id = ids();
  double qpos[so100::kNumJoints];
  for (int j = 0; j < so100::kNumJoints; ++j) qpos[j] = d->qpos[id.qpos_adr[j]];
  ApplyJointAction(cfg_->control_mode, controller_, action, qpos, target_.data());
  DrawCamera();  // the camera moves before the control step, as in the reference
  for (int j = 0; j < so100::kNumJoints; ++j) d->ctrl[id.actuator[j]] = target_[j];
  if (!StepChecked(m, d, kSubsteps)) return false;
  // mj_step leaves positions integrated but kinematics one substep old: refresh them (contacts and
  // their forces stay those of the last substep).
  mj_kinematics(m, d);
  Evaluate();
  reward_ = GraspCubeReward(eval_, cfg_->reward_mode);
  return true;
}

void GraspCubeEnv::PlaceObject(double x, double y, double yaw) {
  double* cq = data_->qpos + ids().cube_qpos_adr;  // flat on the table: position, quaternion w x y z
  cq[0] = x;
  cq[1] = y;
  cq[2] = cube_half_size_;
  cq[3] = std::cos(0.5 * yaw);
  cq[4] = 0;
  cq[5] = 0;
  cq[6] = std::sin(0.5 * yaw);
}

void GraspCubeEnv::SetRobotJoints(std::span<const double> qpos, std::span<const double> qvel) {
  S2R_CHECK(
      qpos.size() == static_cast<size_t>(so100::kNumJoints),
      "SetRobotJoints: " << qpos.size() << " positions for the arm's " << so100::kNumJoints << " joints");
  S2R_CHECK(qvel.empty() || qvel.size() == qpos.size(),
            "SetRobotJoints: " << qvel.size() << " velocities for " << qpos.size() << " positions");
  for (int j = 0; j < so100::kNumJoints; ++j) {
    data_->qpos[ids().qpos_adr[j]] = data_->ctrl[ids().actuator[j]] = target_[j] = qpos[j];
    data_->qvel[ids().dof_adr[j]] = qvel.empty() ? 0.0 : qvel[j];
  }
}

void GraspCubeEnv::Refresh() {
  mj_forward(model_.get(), data_.get());
  Evaluate();
  reward_ = GraspCubeReward(eval_, cfg_->reward_mode);
}

std::array<double, 3> GraspCubeEnv::tcp_pos() const {
  const double* a = data_->site_xpos + 3 * ids().fixed_tip_site;
  const double* b = data_->site_xpos + 3 * ids().moving_tip_site;
  return {0.5 * (a[0] + b[0]), 0.5 * (a[1] + b[1]), 0.5 * (a[2] + b[2])};
}

std::array<double, 3> GraspCubeEnv::cube_pos() const {
  const double* p = data_->qpos + ids().cube_qpos_adr;
  return {p[0], p[1], p[2]};
}

void GraspCubeEnv::Evaluate() {
  const mjModel* m = model_.get();
  const mjData* d = data_.get();
  const GraspCubeIds& id = ids();
  GraspCubeEval e;
  const auto tcp = tcp_pos();
  const auto cube = cube_pos();
  const double diff[3] = {cube[0] - tcp[0], cube[1] - tcp[1], cube[2] - tcp[2]};
  e.tcp_to_obj_dist = Norm3(diff);
  e.reached_object = e.tcp_to_obj_dist < kReachedDist;
  double rest = 0;
  for (int j = 0; j < so100::kNumArmJoints; ++j) {
    const double dq = target_[j] - so100::kRestQpos[j];
    rest += dq * dq;
  }
  e.distance_to_rest_qpos = std::sqrt(rest);
  e.cube_lifted = cube[2] >= cube_half_size_ + kLiftMargin;

  // Contact forces on each jaw (world frame) from the cube and from the table.
  double cube_force[2][3] = {{0, 0, 0}, {0, 0, 0}};
  const int jaws[2] = {id.fixed_jaw_body, id.moving_jaw_body};
  for (int i = 0; i < d->ncon; ++i) {
    const mjContact& c = d->contact[i];
    const int b1 = m->geom_bodyid[c.geom1], b2 = m->geom_bodyid[c.geom2];
    for (int k = 0; k < 2; ++k) {
      const bool jaw1 = b1 == jaws[k], jaw2 = b2 == jaws[k];
      if (!jaw1 && !jaw2) continue;
      const int other = jaw1 ? c.geom2 : c.geom1;
      if (other != id.cube_geom && other != id.table_geom) continue;
      mjtNum f[6];
      mj_contactForce(m, d, i, f);
      // The contact frame's rows are its axes (normal first, from geom1 to geom2); the force acts on
      // geom2 along +normal and on geom1 along -normal.
      double fw[3];
      for (int r = 0; r < 3; ++r) fw[r] = c.frame[r] * f[0] + c.frame[3 + r] * f[1] + c.frame[6 + r] * f[2];
      const double sgn = jaw2 ? 1.0 : -1.0;
      if (other == id.cube_geom) {
        for (int r = 0; r < 3; ++r) cube_force[k][r] += sgn * fw[r];
      } else {
        e.jaw_table_force[k] += Norm3(fw);
      }
    }
  }
  // Opening directions: the fixed jaw opens toward its frame's -y, the moving jaw toward its +y.
  const double* xf = d->xmat + 9 * id.fixed_jaw_body;
  const double* xm = d->xmat + 9 * id.moving_jaw_body;
  const double open_dir[2][3] = {{-xf[1], -xf[4], -xf[7]}, {xm[1], xm[4], xm[7]}};
  bool grasp = true;
  for (int k = 0; k < 2; ++k) {
    e.jaw_cube_force[k] = Norm3(cube_force[k]);
    e.jaw_cube_angle[k] = AngleDeg(cube_force[k], open_dir[k]);
    grasp = grasp && e.jaw_cube_force[k] >= kGraspMinForce && e.jaw_cube_angle[k] <= kGraspMaxAngle;
  }
  e.is_grasped = grasp;
  e.touching_table = e.jaw_table_force[0] >= kTableTouchForce || e.jaw_table_force[1] >= kTableTouchForce;
  e.success = e.cube_lifted && e.is_grasped && e.distance_to_rest_qpos < kRestTolerance;
  eval_ = e;
}

void GraspCubeEnv::WriteObs(float* obs) const { WriteObsOf(cfg_->obs_mode, obs); }

void GraspCubeEnv::WritePrivilegedObs(float* obs) const { WriteObsOf(ObsMode::kState, obs); }

void GraspCubeEnv::WriteObsOf(ObsMode mode, float* obs) const {
  namespace o = so100::obs;
  const mjData* d = data_.get();
  const GraspCubeIds& id = ids();
  double qpos[so100::kNumJoints];
  for (int j = 0; j < so100::kNumJoints; ++j) qpos[j] = d->qpos[id.qpos_adr[j]];
  so100::WriteProprioObs(qpos, target_.data(), obs);
  if (mode != ObsMode::kState) return;
  obs[o::kIsGrasped] = eval_.is_grasped ? 1.0f : 0.0f;
  const double* cq = d->qpos + id.cube_qpos_adr;  // position (3) and quaternion w, x, y, z (4)
  for (int k = 0; k < 7; ++k) obs[o::kObjPose + k] = static_cast<float>(cq[k]);
  const auto tcp = tcp_pos();
  for (int k = 0; k < 3; ++k) {
    obs[o::kTcpPos + k] = static_cast<float>(tcp[k]);
    obs[o::kTcpToObj + k] = static_cast<float>(cq[k] - tcp[k]);
  }
}

void GraspCubeEnv::WriteInfo(float* info) const {
  info[0] = eval_.success ? 1.0f : 0.0f;
  info[1] = eval_.is_grasped ? 1.0f : 0.0f;
  info[2] = eval_.reached_object ? 1.0f : 0.0f;
  info[3] = eval_.touching_table ? 1.0f : 0.0f;
  info[4] = eval_.cube_lifted ? 1.0f : 0.0f;
  info[5] = static_cast<float>(eval_.distance_to_rest_qpos);
}

}  // namespace s2r::sim
