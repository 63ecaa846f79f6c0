// SO100GraspCube-v1: reward terms, grasp/table/lift detection on constructed states, the reset
// distribution, controller scaling through the env, the observation layout, robot MJCF loading, and the
// env built by id and used only through the task-free interface (sim/mj_env.h, sim/env_registry.h).
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/so100_layout.h"
#include "media/image.h"
#include "sim/env_registry.h"
#include "sim/grasp_cube_env.h"
#include "sim/model_loader.h"
#include "sim/scripted_grasp.h"

namespace s2r::sim {
namespace {

std::unique_ptr<GraspCubeEnv> MakeGraspEnv(const GraspCubeConfig& cfg, uint64_t seed = 1) {
  EnvMaker maker = MakeGraspCube(cfg);
  auto env = maker.factory(seed, 0);
  return std::unique_ptr<GraspCubeEnv>(static_cast<GraspCubeEnv*>(env.release()));
}

// Puts the cube flat at (x, y) with yaw 0 and the arm around it, gripper open, at rest velocity.
void PlaceCubeInOpenJaws(GraspCubeEnv& env, double x, double y) {
  mjData* d = env.data();
  const GraspCubeIds& id = env.ids();
  double* cq = d->qpos + id.cube_qpos_adr;
  cq[0] = x, cq[1] = y, cq[2] = env.cube_half_size();
  cq[3] = 1, cq[4] = cq[5] = cq[6] = 0;
  ScriptedGrasp planner(env.model());
  // Grasp point 4 mm above the table-clearing height the scripted controller uses.
  const auto q = planner.SolveIk(env, {x, y, 0.019}, 0.0, {0, 0.3, 0.3, 1.5, 1.57});
  std::array<double, so100::kNumJoints> target{};
  for (int j = 0; j < 5; ++j) d->qpos[id.qpos_adr[j]] = target[j] = q[j];
  d->qpos[id.qpos_adr[5]] = target[5] = -0.1;
  for (int i = 0; i < env.model()->nv; ++i) d->qvel[i] = 0;
  env.set_target_qpos(target);
  env.Refresh();
}

TEST(GraspCubeReward, DenseTermsOnConstructedStates) {
  GraspCubeEval e;
  e.tcp_to_obj_dist = 0.1;
  EXPECT_NEAR(GraspCubeDenseReward(e), 1.0 - std::tanh(0.5), 1e-12);  // reach only
  e.tcp_to_obj_dist = 0.0;
  EXPECT_NEAR(GraspCubeDenseReward(e), 1.0, 1e-12);
  e.is_grasped = true;
  e.distance_to_rest_qpos = 0.5;
  EXPECT_NEAR(GraspCubeDenseReward(e), 1.0 + 1.0 + std::exp(-1.0), 1e-12);  // + grasp + place
  e.distance_to_rest_qpos = 0.0;
  EXPECT_NEAR(GraspCubeDenseReward(e), 3.0, 1e-12);  // the maximum
  e.touching_table = true;
  EXPECT_NEAR(GraspCubeDenseReward(e), 1.0, 1e-12);  // -2 for the table
  // The place term counts only while grasping.
  GraspCubeEval not_grasped;
  not_grasped.distance_to_rest_qpos = 0.0;
  not_grasped.tcp_to_obj_dist = 0.0;
  EXPECT_NEAR(GraspCubeDenseReward(not_grasped), 1.0, 1e-12);
}

TEST(GraspCubeReward, Modes) {
  GraspCubeEval e;
  e.tcp_to_obj_dist = 0.02;
  e.is_grasped = true;
  e.distance_to_rest_qpos = 0.1;
  const double dense = GraspCubeDenseReward(e);
  EXPECT_NEAR(GraspCubeReward(e, RewardMode::kDense), dense, 1e-12);
  EXPECT_NEAR(GraspCubeReward(e, RewardMode::kNormalizedDense), dense / 3.0, 1e-12);
  EXPECT_EQ(GraspCubeReward(e, RewardMode::kSparse), 0.0);
  e.success = true;
  EXPECT_EQ(GraspCubeReward(e, RewardMode::kSparse), 1.0);
  EXPECT_EQ(GraspCubeReward(e, RewardMode::kNone), 0.0);
}

TEST(GraspCubeEnvTest, ResetDistributionStaysInBounds) {
  GraspCubeConfig cfg;
  cfg.spawn_box_pos = {0.25, -0.02};
  cfg.spawn_box_half_size = 0.05;
  const auto& dr = cfg.domain_randomization_config;
  EnvMaker maker = MakeGraspCube(cfg);
  double min_x = 1, max_x = -1;
  for (int seed = 0; seed < 200; ++seed) {
    auto base = maker.factory(static_cast<uint64_t>(seed), seed % 7);
    auto& env = static_cast<GraspCubeEnv&>(*base);
    const mjData* d = env.data();
    const double* cq = d->qpos + env.ids().cube_qpos_adr;
    EXPECT_GE(cq[0], 0.20);
    EXPECT_LE(cq[0], 0.30);
    EXPECT_GE(cq[1], -0.07);
    EXPECT_LE(cq[1], 0.03);
    min_x = std::min(min_x, cq[0]);
    max_x = std::max(max_x, cq[0]);
    EXPECT_DOUBLE_EQ(cq[2], env.cube_half_size());
    EXPECT_DOUBLE_EQ(cq[4], 0.0);  // flat: rotation about z only
    EXPECT_DOUBLE_EQ(cq[5], 0.0);
    EXPECT_NEAR(cq[3] * cq[3] + cq[6] * cq[6], 1.0, 1e-12);
    EXPECT_GE(env.cube_half_size(), dr.cube_half_size_range[0]);
    EXPECT_LE(env.cube_half_size(), dr.cube_half_size_range[1]);
    EXPECT_GE(env.cube_friction(), dr.cube_friction_bounds[0]);
    EXPECT_LE(env.cube_friction(), dr.cube_friction_bounds[1]);
    for (int c = 0; c < 3; ++c) {
      EXPECT_GE(env.visuals().cube_rgba[c], 0.0f);
      EXPECT_LE(env.visuals().cube_rgba[c], 1.0f);
      EXPECT_GE(env.visuals().ambient[c], 0.2);
      EXPECT_LE(env.visuals().ambient[c], 0.5);
    }
    EXPECT_LE(std::fabs(env.visuals().fov - cfg.base_camera_settings.fov), dr.camera_fov_noise);
    // The cube's mass follows its size at 200 kg/m^3.
    const double edge = 2 * env.cube_half_size();
    EXPECT_NEAR(env.model()->body_mass[env.ids().cube_body], 200 * edge * edge * edge, 1e-9);
    for (int j = 0; j < so100::kNumJoints; ++j) {
      const double q = d->qpos[env.ids().qpos_adr[j]];
      EXPECT_LT(std::fabs(q - so100::kRestQpos[j]), 6 * dr.initial_qpos_noise_scale) << "joint " << j;
      EXPECT_DOUBLE_EQ(env.target_qpos()[j], q);  // the controller starts at the measured pose
    }
  }
  EXPECT_LT(min_x, 0.21);  // the whole box is used
  EXPECT_GT(max_x, 0.29);
}

TEST(GraspCubeEnvTest, NoRandomizationGivesTheNominalCube) {
  GraspCubeConfig cfg;
  cfg.domain_randomization = false;
  auto env = MakeGraspEnv(cfg, 5);
  EXPECT_DOUBLE_EQ(env->cube_half_size(), 0.0125);
  EXPECT_DOUBLE_EQ(env->cube_friction(), 0.3);
  EXPECT_EQ(env->visuals().cube_rgba[0], 1.0f);
  EXPECT_EQ(env->visuals().cube_rgba[1], 0.0f);
  EXPECT_DOUBLE_EQ(env->visuals().ambient[0], 0.3);
  EXPECT_DOUBLE_EQ(env->visuals().fov, cfg.base_camera_settings.fov);
}

TEST(GraspCubeEnvTest, ControllerScalesAndAccumulatesTargets) {
  GraspCubeConfig cfg;
  auto env = MakeGraspEnv(cfg);
  const auto t0 = env->target_qpos();
  const float full[6] = {1, 1, 1, 1, 1, 1};
  ASSERT_TRUE(env->Step(full));
  for (int j = 0; j < 5; ++j) EXPECT_NEAR(env->target_qpos()[j], t0[j] + 0.05, 1e-12);
  EXPECT_NEAR(env->target_qpos()[5], t0[5] + 0.2, 1e-12);
  const float half_back[6] = {-0.5f, -0.5f, -0.5f, -0.5f, -0.5f, -0.5f};
  ASSERT_TRUE(env->Step(half_back));
  for (int j = 0; j < 5; ++j) EXPECT_NEAR(env->target_qpos()[j], t0[j] + 0.025, 1e-9);
  EXPECT_NEAR(env->target_qpos()[5], t0[5] + 0.1, 1e-9);
  // The servos follow: after a few zero-action steps the joints sit near their targets.
  const float zero[6] = {0, 0, 0, 0, 0, 0};
  for (int k = 0; k < 10; ++k) ASSERT_TRUE(env->Step(zero));
  for (int j = 0; j < 5; ++j)
    EXPECT_NEAR(env->data()->qpos[env->ids().qpos_adr[j]], env->target_qpos()[j], 0.01) << "joint " << j;
}

TEST(GraspCubeEnvTest, StateObservationLayout) {
  GraspCubeConfig cfg;
  auto env = MakeGraspEnv(cfg);
  const float a[6] = {0.3f, -0.2f, 0.1f, 0.0f, 0.5f, -1.0f};
  ASSERT_TRUE(env->Step(a));
  float obs[so100::obs::kStateDim];
  env->WriteObs(obs);
  const mjData* d = env->data();
  namespace o = so100::obs;
  for (int j = 0; j < 6; ++j) {
    EXPECT_FLOAT_EQ(obs[o::kQpos + j], static_cast<float>(d->qpos[env->ids().qpos_adr[j]]));
    EXPECT_FLOAT_EQ(obs[o::kTargetQpos + j], static_cast<float>(env->target_qpos()[j]));
  }
  for (int j = 0; j < 5; ++j)
    EXPECT_FLOAT_EQ(obs[o::kDistToRest + j], static_cast<float>(env->target_qpos()[j] - so100::kRestQpos[j]));
  const auto cube = env->cube_pos();
  const auto tcp = env->tcp_pos();
  for (int k = 0; k < 3; ++k) {
    EXPECT_FLOAT_EQ(obs[o::kObjPose + k], static_cast<float>(cube[k]));
    EXPECT_FLOAT_EQ(obs[o::kTcpPos + k], static_cast<float>(tcp[k]));
    EXPECT_NEAR(obs[o::kTcpToObj + k], cube[k] - tcp[k], 1e-6);
  }
  EXPECT_FLOAT_EQ(obs[o::kIsGrasped], 0.0f);
  // The TCP is the midpoint of the two jaw tips.
  const double* a_tip = d->site_xpos + 3 * env->ids().fixed_tip_site;
  const double* b_tip = d->site_xpos + 3 * env->ids().moving_tip_site;
  for (int k = 0; k < 3; ++k) EXPECT_NEAR(tcp[k], 0.5 * (a_tip[k] + b_tip[k]), 1e-12);
}

TEST(GraspCubeEnvTest, GraspDetectedOnlyWhenBothJawsSqueezeTheCube) {
  GraspCubeConfig cfg;
  cfg.domain_randomization = false;
  auto env = MakeGraspEnv(cfg);
  PlaceCubeInOpenJaws(*env, 0.25, 0.0);
  EXPECT_FALSE(env->eval().is_grasped);
  EXPECT_LT(env->eval().tcp_to_obj_dist, 0.03);
  EXPECT_TRUE(env->eval().reached_object);
  const float close[6] = {0, 0, 0, 0, 0, -1};
  bool grasped = false;
  for (int k = 0; k < 8 && !grasped; ++k) {
    ASSERT_TRUE(env->Step(close));
    grasped = env->eval().is_grasped;
  }
  ASSERT_TRUE(grasped) << "forces " << env->eval().jaw_cube_force[0] << " " << env->eval().jaw_cube_force[1];
  EXPECT_GE(env->eval().jaw_cube_force[0], 0.5);
  EXPECT_GE(env->eval().jaw_cube_force[1], 0.5);
  EXPECT_LE(env->eval().jaw_cube_angle[0], 110.0);
  EXPECT_LE(env->eval().jaw_cube_angle[1], 110.0);
  EXPECT_LT(env->cube_pos()[2], env->cube_half_size() + 0.005);  // still at the table
  EXPECT_FALSE(env->eval().success);                             // not back at rest
  // Lift straight up by raising the shoulder: the cube comes along, still grasped.
  const float lift[6] = {0, -1, 0, 0, 0, -1};
  for (int k = 0; k < 4; ++k) ASSERT_TRUE(env->Step(lift));
  EXPECT_TRUE(env->eval().is_grasped);
  EXPECT_TRUE(env->eval().cube_lifted);
  // Open the gripper: no more grasp.
  const float open[6] = {0, 0, 0, 0, 0, 1};
  for (int k = 0; k < 6; ++k) ASSERT_TRUE(env->Step(open));
  EXPECT_FALSE(env->eval().is_grasped)
      << "gripper q " << env->data()->qpos[env->ids().qpos_adr[5]] << " target " << env->target_qpos()[5]
      << " forces " << env->eval().jaw_cube_force[0] << " " << env->eval().jaw_cube_force[1];
}

TEST(GraspCubeEnvTest, OneJawTouchingIsNotAGrasp) {
  GraspCubeConfig cfg;
  cfg.domain_randomization = false;
  auto env = MakeGraspEnv(cfg);
  PlaceCubeInOpenJaws(*env, 0.25, 0.0);
  // Shift the cube along the closing axis into the fixed pad (the planner leaves a 6 mm gap).
  const double* r = env->data()->xmat + 9 * env->ids().fixed_jaw_body;
  double* cq = env->data()->qpos + env->ids().cube_qpos_adr;
  for (int k = 0; k < 2; ++k) cq[k] -= 0.0065 * r[3 * k + 1];
  env->Refresh();
  const float hold[6] = {0, 0, 0, 0, 0, 0};
  double fixed_force = 0;
  for (int k = 0; k < 3; ++k) {
    ASSERT_TRUE(env->Step(hold));
    EXPECT_FALSE(env->eval().is_grasped);
    EXPECT_LT(env->eval().jaw_cube_force[1], 0.5);  // the open moving jaw is far away
    fixed_force = std::max(fixed_force, env->eval().jaw_cube_force[0]);
  }
  EXPECT_GT(fixed_force, 0.0);  // the fixed jaw did touch the cube
}

TEST(GraspCubeEnvTest, TableTouchAndLiftFlags) {
  GraspCubeConfig cfg;
  cfg.domain_randomization = false;
  auto env = MakeGraspEnv(cfg);
  EXPECT_FALSE(env->eval().touching_table);  // at rest, well above the table
  // Press the open gripper down into the table next to the cube.
  PlaceCubeInOpenJaws(*env, 0.25, 0.0);
  mjData* d = env->data();
  d->qpos[env->ids().cube_qpos_adr + 1] = 0.15;  // move the cube out of the way
  env->Refresh();
  const float down[6] = {0, 1, 0, 0, 0, 0};
  bool touched = false;
  for (int k = 0; k < 8 && !touched; ++k) {
    ASSERT_TRUE(env->Step(down));
    touched = env->eval().touching_table;
  }
  EXPECT_TRUE(touched);
  // cube_lifted: cube centre at least 1 mm above its resting height.
  auto env2 = MakeGraspEnv(cfg);
  double* cq = env2->data()->qpos + env2->ids().cube_qpos_adr;
  cq[2] = env2->cube_half_size() + 0.0005;
  env2->Refresh();
  EXPECT_FALSE(env2->eval().cube_lifted);
  cq[2] = env2->cube_half_size() + 0.002;
  env2->Refresh();
  EXPECT_TRUE(env2->eval().cube_lifted);
}

TEST(GraspCubeEnvTest, SuccessNeedsLiftGraspAndRest) {
  GraspCubeConfig cfg;
  cfg.domain_randomization = false;
  auto env = MakeGraspEnv(cfg);
  PlaceCubeInOpenJaws(*env, 0.25, 0.0);
  const float close[6] = {0, 0, 0, 0, 0, -1};
  for (int k = 0; k < 5; ++k) ASSERT_TRUE(env->Step(close));
  ASSERT_TRUE(env->eval().is_grasped);
  // Drive the targets back to rest with the gripper closed: success once within 0.2 rad of rest.
  bool success = false;
  for (int k = 0; k < 40 && !success; ++k) {
    float a[6];
    for (int j = 0; j < 5; ++j)
      a[j] = static_cast<float>(std::clamp((so100::kRestQpos[j] - env->target_qpos()[j]) / 0.05, -1.0, 1.0));
    a[5] = -1;
    ASSERT_TRUE(env->Step(a));
    success = env->eval().success;
    if (env->eval().distance_to_rest_qpos >= 0.2) {
      EXPECT_FALSE(success);
    }
  }
  ASSERT_TRUE(success);
  EXPECT_TRUE(env->eval().cube_lifted);
  EXPECT_TRUE(env->eval().is_grasped);
  EXPECT_LT(env->eval().distance_to_rest_qpos, 0.2);
  EXPECT_TRUE(env->terminated());
  EXPECT_NEAR(env->reward(), GraspCubeDenseReward(env->eval()) / 3.0, 1e-6);
}

TEST(GraspCubeEnvTest, RobotColourRandomAndFixed) {
  GraspCubeConfig cfg;
  cfg.domain_randomization_config.robot_color_mode = RobotColorMode::kRandom;
  EnvMaker maker = MakeGraspCube(cfg);
  auto a = maker.factory(3, 0), b = maker.factory(3, 1), a2 = maker.factory(3, 0);
  const auto& ea = static_cast<GraspCubeEnv&>(*a);
  const auto& eb = static_cast<GraspCubeEnv&>(*b);
  const auto& ea2 = static_cast<GraspCubeEnv&>(*a2);
  int differ = 0;
  for (int g : ea.ids().robot_geoms) {
    if (ea.model()->geom_rgba[4 * g + 3] == 0) continue;
    EXPECT_EQ(ea.model()->geom_matid[g], -1);  // the colour comes from geom_rgba now
    for (int c = 0; c < 3; ++c) {
      const float v = ea.model()->geom_rgba[4 * g + c];
      EXPECT_GE(v, 0.0f);
      EXPECT_LE(v, 1.0f);
      EXPECT_EQ(v, ea2.model()->geom_rgba[4 * g + c]);  // same seed and index, same colours
      differ += v != eb.model()->geom_rgba[4 * g + c];
    }
  }
  EXPECT_GT(differ, 10);  // another env draws other colours
  cfg.domain_randomization_config.robot_color_mode = RobotColorMode::kFixed;
  cfg.domain_randomization_config.robot_color = {0.2, 0.4, 0.6};
  auto f = MakeGraspCube(cfg).factory(3, 0);
  const auto& ef = static_cast<GraspCubeEnv&>(*f);
  for (int g : ef.ids().robot_geoms) {
    EXPECT_FLOAT_EQ(ef.model()->geom_rgba[4 * g + 0], 0.2f);
    EXPECT_FLOAT_EQ(ef.model()->geom_rgba[4 * g + 2], 0.6f);
  }
}

// MakeGraspCube(cfg) must throw a ConfigError whose message holds every one of `parts`.
void ExpectConfigErrorNaming(const GraspCubeConfig& cfg, std::initializer_list<const char*> parts) {
  try {
    MakeGraspCube(cfg);
    ADD_FAILURE() << "accepted: " << cfg.robot_mjcf_path;
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    for (const char* part : parts) EXPECT_NE(msg.find(part), std::string::npos) << part << " not in: " << msg;
  }
}

TEST(RobotMjcf, UserModelWithTheRightNamesLoadsAndWrongNamesOrTimestepAreRejected) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / "s2r_robot_mjcf_test";
  fs::create_directories(dir);
  std::ifstream in(AssetDir() + "/so100.xml");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  { std::ofstream(dir / "copy.xml") << text; }
  GraspCubeConfig cfg;
  cfg.robot_mjcf_path = (dir / "copy.xml").string();
  EXPECT_NO_THROW(MakeGraspCube(cfg));

  std::string renamed = text;
  for (size_t at; (at = renamed.find("\"elbow_flex\"")) != std::string::npos;)
    renamed.replace(at, 12, "\"elbow\"");
  { std::ofstream(dir / "renamed.xml") << renamed; }
  cfg.robot_mjcf_path = (dir / "renamed.xml").string();
  ExpectConfigErrorNaming(cfg, {"elbow_flex", "renamed.xml"});
  // A robot file that changes the physics timestep would change the task's timing: refused.
  std::string retimed = text;
  const size_t body = retimed.find("<worldbody>");
  ASSERT_NE(body, std::string::npos);
  retimed.insert(body, "<option timestep=\"0.01\"/>\n");
  { std::ofstream(dir / "retimed.xml") << retimed; }
  cfg.robot_mjcf_path = (dir / "retimed.xml").string();
  ExpectConfigErrorNaming(cfg, {"retimed.xml", "so100_grasp_cube.xml", "timestep", "0.005"});
  cfg.robot_mjcf_path = (dir / "missing.xml").string();
  ExpectConfigErrorNaming(cfg, {"missing.xml", "robot_mjcf_path"});
  fs::remove_all(dir);
}

// ---------------------------------------------------------------------------------------------
// Through the interface: built by id, read by observation name, never cast to GraspCubeEnv.

std::vector<float> ObsOf(const MjEnv& env, const EnvSpec& spec) {
  std::vector<float> obs(static_cast<size_t>(spec.obs_dim));
  env.WriteObs(obs.data());
  return obs;
}

// The value named `name` (e.g. "qpos/elbow_flex") of an observation laid out as spec.obs_names.
float ObsValue(const EnvSpec& spec, const std::vector<float>& obs, const std::string& name) {
  const auto it = std::find(spec.obs_names.begin(), spec.obs_names.end(), name);
  if (it == spec.obs_names.end()) {
    ADD_FAILURE() << "no observation named " << name;
    return std::numeric_limits<float>::quiet_NaN();
  }
  return obs[static_cast<size_t>(it - spec.obs_names.begin())];
}

TEST(GraspCubeMjEnvTest, SetRobotJointsIsWhatTheObservationReports) {
  const EnvMaker maker = MakeEnv(kGraspCubeId, GraspCubeConfig());
  const auto env = maker.factory(4, 0);
  const std::vector<float> before = ObsOf(*env, maker.spec);
  const std::array<double, so100::kNumJoints> q = {0.3, 0.2, -0.2, 1.2, 0.9, 0.4};  // rad, near rest
  env->SetRobotJoints(q);
  env->Refresh();
  const std::vector<float> after = ObsOf(*env, maker.spec);
  for (int j = 0; j < so100::kNumJoints; ++j) {
    const std::string joint(so100::kJointNames[j]);
    EXPECT_NE(ObsValue(maker.spec, before, "qpos/" + joint), static_cast<float>(q[j])) << joint;
    EXPECT_EQ(ObsValue(maker.spec, after, "qpos/" + joint), static_cast<float>(q[j])) << joint;
    // A reset to that state: the controller's targets are there too.
    EXPECT_EQ(ObsValue(maker.spec, after, "target_qpos/" + joint), static_cast<float>(q[j])) << joint;
  }
  // Refresh() recomputed the kinematics: the gripper moved with the joints.
  EXPECT_GT(
      std::fabs(ObsValue(maker.spec, after, "tcp_pos/x") - ObsValue(maker.spec, before, "tcp_pos/x")) +
          std::fabs(ObsValue(maker.spec, after, "tcp_pos/z") - ObsValue(maker.spec, before, "tcp_pos/z")),
      0.01f);
  // At rest: zero actions hold the pose.
  const float zero[so100::kNumJoints] = {};
  ASSERT_TRUE(env->Step(zero));
  const std::vector<float> held = ObsOf(*env, maker.spec);
  for (int j = 0; j < so100::kNumArmJoints; ++j)
    EXPECT_NEAR(ObsValue(maker.spec, held, "qpos/" + std::string(so100::kJointNames[j])), q[j], 0.02) << j;
}

TEST(GraspCubeMjEnvTest, PlaceObjectIsWhereTheObservationSeesTheCube) {
  const EnvMaker maker = MakeEnv(kGraspCubeId, GraspCubeConfig());
  const auto env = maker.factory(6, 0);
  const std::vector<float> before = ObsOf(*env, maker.spec);
  env->PlaceObject(0.27, -0.03, 0.4);
  env->Refresh();
  const std::vector<float> obs = ObsOf(*env, maker.spec);
  EXPECT_NE(ObsValue(maker.spec, before, "obj_pose/x"), 0.27f);
  EXPECT_EQ(ObsValue(maker.spec, obs, "obj_pose/x"), 0.27f);
  EXPECT_EQ(ObsValue(maker.spec, obs, "obj_pose/y"), -0.03f);
  EXPECT_EQ(ObsValue(maker.spec, obs, "obj_pose/z"),
            ObsValue(maker.spec, before, "obj_pose/z"));  // on the table
  EXPECT_FLOAT_EQ(ObsValue(maker.spec, obs, "obj_pose/qw"), static_cast<float>(std::cos(0.2)));
  EXPECT_FLOAT_EQ(ObsValue(maker.spec, obs, "obj_pose/qz"), static_cast<float>(std::sin(0.2)));
  EXPECT_NEAR(ObsValue(maker.spec, obs, "tcp_to_obj_pos/x"), 0.27f - ObsValue(maker.spec, obs, "tcp_pos/x"),
              1e-6);
}

TEST(GraspCubeMjEnvTest, RenderCameraGivesThePolicyObservationsPixels) {
  namespace fs = std::filesystem;
  const fs::path photo_path = fs::temp_directory_path() / "s2r_grasp_cube_test_photo.png";
  std::vector<uint8_t> photo(64 * 48 * 3);
  for (size_t i = 0; i < photo.size(); i += 3) photo[i] = 10, photo[i + 1] = 220, photo[i + 2] = 30;
  media::WritePng(photo_path.string(), photo.data(), 64, 48, 3);
  GraspCubeConfig cfg;
  cfg.greenscreen_overlay_path = photo_path.string();
  cfg.sensor_width = 80;
  cfg.sensor_height = 60;
  const auto env = MakeEnv(kGraspCubeId, cfg).factory(2, 0);
  const int w = cfg.sensor_width, h = cfg.sensor_height;
  const render::BatchRenderer renderer(env->model(), w, h);
  const auto greenscreen = env->MakeGreenscreen(w, h);
  ASSERT_NE(greenscreen, nullptr);
  // With the env's own greenscreen at the sensor size: the image observation, pixel for pixel.
  std::vector<uint8_t> rgb(w * h * 3), seg(w * h), obs(w * h * 3);
  env->RenderCamera(renderer, greenscreen.get(), rgb.data(), seg.data());
  env->RenderObs(obs.data());
  EXPECT_EQ(rgb, obs);
  int photo_pixels = 0;
  for (int i = 0; i < w * h; ++i)
    photo_pixels += rgb[3 * i] == 10 && rgb[3 * i + 1] == 220 && rgb[3 * i + 2] == 30;
  EXPECT_GT(photo_pixels, w * h / 4);    // the background is replaced
  EXPECT_LT(photo_pixels, w * h - 100);  // the arm and the cube are kept
  // Without: what the renderer draws from the interface's model, state, camera pose and lighting.
  std::vector<uint8_t> plain(w * h * 3), direct(w * h * 3), direct_seg(w * h);
  env->RenderCamera(renderer, nullptr, plain.data(), seg.data());
  renderer.Render(env->model(), env->data(), env->camera_pose(), env->lighting(), direct.data(),
                  direct_seg.data());
  EXPECT_EQ(plain, direct);
  EXPECT_EQ(seg, direct_seg);
  EXPECT_NE(plain, rgb);
  fs::remove(photo_path);
}

TEST(EnvRegistryTest, UnknownIdIsRefusedNamingItAndTheRegisteredOnes) {
  const auto expect_refused = [](const std::function<void()>& make) {
    try {
      make();
      ADD_FAILURE() << "Nope-v0 accepted";
    } catch (const ConfigError& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find("Nope-v0"), std::string::npos) << msg;
      EXPECT_NE(msg.find(kGraspCubeId), std::string::npos) << msg;
    }
  };
  expect_refused([] { MakeEnv("Nope-v0", GraspCubeConfig()); });
  expect_refused([] { MakeEnvSpec("Nope-v0", GraspCubeConfig()); });
  const auto env = MakeEnv(kGraspCubeId, GraspCubeConfig()).factory(0, 0);
  expect_refused([&] { MakeScripted("Nope-v0", *env); });
  // The registered id gives the task's spec with or without building it.
  EXPECT_EQ(MakeEnvSpec(kGraspCubeId, GraspCubeConfig()).obs_names, GraspCubeObsNames(ObsMode::kState));
}

}  // namespace
}  // namespace s2r::sim
