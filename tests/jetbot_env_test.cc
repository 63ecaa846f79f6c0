// The Jetbot tasks (Isaac-Jetbot-Direct-v0, JetbotGoal-v0) on the real MuJoCo model: the config's checks,
// the DC motor model, differential-drive kinematics, the rewards, termination, the held camera frame,
// resets and domain randomization, the observation layout, what the camera sees, and the scripted driver.
#include "sim/jetbot_env.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/rng.h"
#include "sim/env_registry.h"
#include "sim/jetbot_config.h"
#include "sim/model_loader.h"
#include "sim/scripted_drive.h"
#include "sim/vec_env.h"

namespace s2r::sim {
namespace {

using ::testing::HasSubstr;

constexpr double kDt = 1.0 / kJetbotControlFreq;  // s per policy step

std::unique_ptr<JetbotEnv> MakeEnv(const JetbotConfig& cfg, uint64_t seed = 1, int index = 0) {
  EnvMaker maker = MakeJetbot(cfg);
  auto env = maker.factory(seed, index);
  return std::unique_ptr<JetbotEnv>(static_cast<JetbotEnv*>(env.release()));
}

// Places the robot at (x, y, yaw) at rest and the block at (bx, by).
void Pose(JetbotEnv& env, double x, double y, double yaw, double bx, double by) {
  const double pose[3] = {x, y, yaw};
  env.SetRobotJoints(pose);
  env.PlaceObject(bx, by, 0.0);
  env.Refresh();
}

void Drive(JetbotEnv& env, float left, float right, int steps) {
  const float a[2] = {left, right};
  for (int s = 0; s < steps; ++s) ASSERT_TRUE(env.Step(a)) << "step " << s;
}

std::vector<uint8_t> Image(const JetbotEnv& env) {
  const auto& c = env.config();
  std::vector<uint8_t> img(static_cast<size_t>(c.sensor_width) * c.sensor_height * 3);
  env.RenderObs(img.data());
  return img;
}

// Expects Validate to throw a ConfigError naming `key`.
template <typename Edit>
void ExpectRefused(Edit edit, const std::string& key) {
  JetbotConfig c = JetbotDefaults(JetbotTask::kGoal);
  edit(c);
  try {
    c.Validate("cfg.json");
    ADD_FAILURE() << "expected a ConfigError naming " << key;
  } catch (const ConfigError& e) {
    EXPECT_THAT(std::string(e.what()), HasSubstr("cfg.json: key '" + key + "': expected"));
  }
}

TEST(JetbotConfigTest, TaskDefaults) {
  const JetbotConfig d = JetbotDefaults(JetbotTask::kDirect);
  EXPECT_EQ(d.task, JetbotTask::kDirect);
  EXPECT_EQ(d.sensor_width, 224);
  EXPECT_EQ(d.sensor_height, 224);
  EXPECT_EQ(d.max_episode_steps, 150);
  EXPECT_FALSE(d.domain_randomization);
  EXPECT_EQ(d.robot_pose_noise.xy, 0.0);
  EXPECT_DOUBLE_EQ(d.camera.update_period, 0.1);
  EXPECT_DOUBLE_EQ(d.success_distance, 0.2);
  EXPECT_EQ(d.reward_mode_name(), "exp_inverse_distance");
  EXPECT_EQ(d.control_mode_name(), "motor_duty");
  const JetbotConfig g = JetbotDefaults(JetbotTask::kGoal);
  EXPECT_TRUE(g.domain_randomization);
  EXPECT_DOUBLE_EQ(g.success_distance, 0.15);
  EXPECT_GT(g.robot_pose_noise.xy, 0.0);
  EXPECT_EQ(g.reward_mode_name(), "shaped");
  EXPECT_NO_THROW(d.Validate("d"));
  EXPECT_NO_THROW(g.Validate("g"));
  JetbotTask t;
  ASSERT_TRUE(JetbotTaskOfId(kJetbotGoalId, &t));
  EXPECT_EQ(t, JetbotTask::kGoal);
  ASSERT_TRUE(JetbotTaskOfId("Isaac-Jetbot-Direct-v0", &t));
  EXPECT_EQ(t, JetbotTask::kDirect);
  EXPECT_FALSE(JetbotTaskOfId("SO100GraspCube-v1", &t));
  EXPECT_EQ(JetbotEnvId(JetbotTask::kGoal), "JetbotGoal-v0");
  // A copy keeps the task's fields.
  const auto clone = g.Clone();
  EXPECT_TRUE(static_cast<const JetbotConfig&>(*clone).domain_randomization);
}

TEST(JetbotConfigTest, ValidateRefusesBadValuesNamingTheKey) {
  ExpectRefused([](JetbotConfig& c) { c.motor.max_wheel_speed = 0; }, "motor.max_wheel_speed");
  ExpectRefused([](JetbotConfig& c) { c.motor.stall_torque = -0.1; }, "motor.stall_torque");
  ExpectRefused([](JetbotConfig& c) { c.camera.pos[2] = std::nan(""); }, "camera.pos");
  ExpectRefused([](JetbotConfig& c) { c.camera.pitch = 2.0; }, "camera.pitch");
  ExpectRefused([](JetbotConfig& c) { c.camera.fov = 0.0; }, "camera.fov");
  ExpectRefused([](JetbotConfig& c) { c.camera.update_period = -1; }, "camera.update_period");
  ExpectRefused([](JetbotConfig& c) { c.arena_half_size = 0.2; }, "arena_half_size");
  ExpectRefused([](JetbotConfig& c) { c.robot_start = {1.45, 0, 0}; }, "robot_start");
  ExpectRefused([](JetbotConfig& c) { c.block_start = {0, 1.49}; }, "block_start");
  ExpectRefused([](JetbotConfig& c) { c.robot_pose_noise.yaw = 4.0; }, "robot_pose_noise.yaw");
  ExpectRefused([](JetbotConfig& c) { c.robot_pose_noise.xy = -0.1; }, "robot_pose_noise.xy");
  ExpectRefused([](JetbotConfig& c) { c.goal_distance_range = {0.5, 0.4}; }, "goal_distance_range");
  ExpectRefused([](JetbotConfig& c) { c.goal_distance_range = {0.05, 0.4}; }, "goal_distance_range");
  ExpectRefused([](JetbotConfig& c) { c.goal_bearing_range = {-4, 0}; }, "goal_bearing_range");
  ExpectRefused([](JetbotConfig& c) { c.success_distance = 0.05; }, "success_distance");
  const std::string dr = "domain_randomization_config.";
  ExpectRefused([](JetbotConfig& c) { c.domain_randomization_config.floor_color_jitter = 1.5; },
                dr + "floor_color_jitter");
  ExpectRefused(
      [](JetbotConfig& c) {
        c.domain_randomization_config.ambient_range = {0.6, 0.2};
      },
      dr + "ambient_range");
  ExpectRefused([](JetbotConfig& c) { c.domain_randomization_config.camera_fov_noise = 1.3; },
                dr + "camera_fov_noise");
  ExpectRefused(
      [](JetbotConfig& c) {
        c.domain_randomization_config.motor_gain_range = {0.0, 1.0};
      },
      dr + "motor_gain_range");
  ExpectRefused(
      [](JetbotConfig& c) {
        c.domain_randomization_config.wheel_friction_range = {1, 9};
      },
      dr + "wheel_friction_range");
  ExpectRefused([](JetbotConfig& c) { c.sensor_width = 4; }, "sensor_configs.width");
  // The one control mode.
  JetbotConfig c;
  EXPECT_NO_THROW(c.SetControlMode("motor_duty", "--control-mode"));
  try {
    c.SetControlMode("pd_joint_pos", "--control-mode");
    ADD_FAILURE() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_THAT(std::string(e.what()), HasSubstr("--control-mode: unknown control mode 'pd_joint_pos'"));
    EXPECT_THAT(std::string(e.what()), HasSubstr("motor_duty"));
  }
}

TEST(JetbotSceneTest, MotorModelAndMeasuresComeFromTheConfigAndModel) {
  JetbotConfig cfg;
  cfg.motor = {12.0, 0.3};
  cfg.arena_half_size = 2.0;
  const auto scene = LoadJetbotScene(cfg);
  const mjModel* m = scene->model.get();
  for (int a : scene->ids.actuator) {
    EXPECT_DOUBLE_EQ(m->actuator_gainprm[mjNGAIN * a], 0.3);
    EXPECT_DOUBLE_EQ(m->actuator_biasprm[mjNBIAS * a + 2], -0.3 / 12.0);
    EXPECT_EQ(m->actuator_ctrlrange[2 * a], -1.0);
    EXPECT_EQ(m->actuator_ctrlrange[2 * a + 1], 1.0);
  }
  EXPECT_NEAR(scene->wheel_radius, kJetbotWheelRadius, 1e-9);
  EXPECT_NEAR(scene->track, kJetbotTrack, 1e-9);
  EXPECT_NEAR(scene->stand_height, kJetbotWheelRadius, 1e-9);
  // The +x wall's inner face at the arena's half size.
  const int g = scene->ids.wall_geoms[0];
  EXPECT_NEAR(m->geom_pos[3 * g] - m->geom_size[3 * g], 2.0, 1e-12);
  EXPECT_NEAR(m->opt.timestep, 1.0 / 60.0, 1e-12);
}

TEST(JetbotSceneTest, RobotMjcfWithoutTheNamesIsRefused) {
  const std::string src = AssetDir() + "/jetbot.xml";
  std::ifstream in(src);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t at = text.find("name=\"right_motor\"");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 18, "name=\"right_drive\"");
  const std::string path = (std::filesystem::temp_directory_path() / "jetbot_env_test_robot.xml").string();
  std::ofstream(path) << text;
  JetbotConfig cfg;
  cfg.robot_mjcf_path = path;
  try {
    LoadJetbotScene(cfg);
    ADD_FAILURE() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_THAT(std::string(e.what()), HasSubstr("right_motor"));
    EXPECT_THAT(std::string(e.what()), HasSubstr(path));
  }
  std::filesystem::remove(path);
}

// Full duty on both wheels reaches the motor's no-load speed less the gearbox friction (0.01 N m of the
// 0.15 N m stall torque: 20 * (1 - 0.067) = 18.7 rad/s); half duty reaches about half of that, and the speed
// scales with max_wheel_speed.
TEST(JetbotMotorTest, SteadyWheelSpeedFollowsDutyAndMaxSpeed) {
  JetbotConfig cfg;
  cfg.block_start = {1.2, 1.2};  // out of the way
  auto env = MakeEnv(cfg);
  Drive(*env, 1.0f, 1.0f, 30);
  const auto full = env->wheel_speeds();
  EXPECT_NEAR(full[0], 20.0 * (1.0 - 0.01 / 0.15), 0.3);
  EXPECT_NEAR(full[1], full[0], 1e-6);
  env->Reset(false);
  Drive(*env, 0.5f, 0.5f, 30);
  const double half = env->wheel_speeds()[0];
  EXPECT_GT(half / full[0], 0.4);
  EXPECT_LT(half / full[0], 0.5);
  env->Reset(false);
  Drive(*env, 0.05f, 0.05f, 30);  // below the friction: the wheels (nearly: it is soft) stand still
  EXPECT_LT(std::fabs(env->wheel_speeds()[0]), 0.1);
  env->Reset(false);
  Drive(*env, -1.0f, -1.0f, 30);
  EXPECT_NEAR(env->wheel_speeds()[0], -full[0], 0.05);

  cfg.motor.max_wheel_speed = 10.0;
  auto slow = MakeEnv(cfg);
  Drive(*slow, 1.0f, 1.0f, 30);
  EXPECT_NEAR(slow->wheel_speeds()[0], 10.0 * (1.0 - 0.01 / 0.15), 0.2);
  // Actions beyond [-1, 1] are clamped.
  slow->Reset(false);
  Drive(*slow, 5.0f, 5.0f, 30);
  EXPECT_NEAR(slow->wheel_speeds()[0], 10.0 * (1.0 - 0.01 / 0.15), 0.2);
  EXPECT_EQ(slow->last_action()[0], 1.0f);
}

// Driving straight at full duty, the chassis moves forward at the wheels' rim speed, without drifting.
TEST(JetbotMotorTest, DrivingStraightMovesForwardAtTheWheelSpeed) {
  JetbotConfig cfg;
  cfg.block_start = {1.2, 1.2};
  auto env = MakeEnv(cfg);
  Drive(*env, 1.0f, 1.0f, 15);  // 0.5 s to reach speed
  const auto p0 = env->chassis_pose();
  const double v = env->wheel_speeds()[0] * kJetbotWheelRadius;
  EXPECT_GT(v, 0.5);            // m/s
  Drive(*env, 1.0f, 1.0f, 30);  // 1 s
  const auto p1 = env->chassis_pose();
  EXPECT_NEAR(p1[0] - p0[0], v * 30 * kDt, 0.03 * v);
  EXPECT_NEAR(p1[1], 0.0, 1e-3);
  EXPECT_NEAR(p1[2], 0.0, 1e-3);
  // The state observation reports the speed.
  std::vector<float> obs(11);
  env->WriteObs(obs.data());
  EXPECT_NEAR(obs[9], v, 0.02);                              // chassis/forward_vel
  EXPECT_NEAR(obs[7], v / kJetbotWheelRadius / 20.0, 0.02);  // wheel_speed/left, scaled
}

// left < right turns counter-clockwise (yaw increases) at about (v_r - v_l) / track; the mirror turns back.
TEST(JetbotMotorTest, FasterRightWheelTurnsCounterClockwise) {
  JetbotConfig cfg;
  cfg.block_start = {1.2, 1.2};
  auto env = MakeEnv(cfg);
  Drive(*env, 0.2f, 0.6f, 15);
  const double yaw0 = env->chassis_pose()[2];
  const auto w = env->wheel_speeds();
  const double rate = (w[1] - w[0]) * kJetbotWheelRadius / kJetbotTrack;  // rad/s
  Drive(*env, 0.2f, 0.6f, 6);
  const double yaw1 = env->chassis_pose()[2];
  EXPECT_GT(yaw1, yaw0);
  EXPECT_NEAR(yaw1 - yaw0, rate * 6 * kDt, 0.1 * rate * 6 * kDt);
  EXPECT_GT(env->chassis_pose()[1], 0.0);  // curved to the left
  std::vector<float> obs(11);
  env->WriteObs(obs.data());
  EXPECT_NEAR(obs[10], rate, 0.1 * rate);  // chassis/yaw_rate
  env->Reset(false);
  Drive(*env, 0.6f, 0.2f, 21);
  EXPECT_LT(env->chassis_pose()[2], -0.5);
  EXPECT_LT(env->chassis_pose()[1], 0.0);
}

TEST(JetbotDirectTest, StartsAsTheSeedAndRewardsExpInverseDistance) {
  auto env = MakeEnv(JetbotDefaults(JetbotTask::kDirect));
  const auto p = env->chassis_pose();
  EXPECT_DOUBLE_EQ(p[0], -0.6);
  EXPECT_DOUBLE_EQ(p[1], 0.0);
  EXPECT_DOUBLE_EQ(p[2], 0.0);
  const auto b = env->block_pos();
  EXPECT_DOUBLE_EQ(b[0], 0.3);
  EXPECT_DOUBLE_EQ(b[1], 0.0);
  EXPECT_NEAR(env->eval().distance, 0.9, 1e-3);
  EXPECT_NEAR(env->reward(), std::exp(1.0 / 0.9) - 30.0, 1e-3);
  // At a placed distance of 0.5 m (the chassis origin 5 mm above the block's centre).
  Pose(*env, 0.0, 0.0, 0.0, 0.5, 0.0);
  const double d = std::hypot(0.5, kJetbotWheelRadius - 0.025);
  EXPECT_NEAR(env->eval().distance, d, 1e-9);
  EXPECT_NEAR(env->reward(), std::exp(1.0 / d) - 30.0, 1e-4);
  Drive(*env, 0.0f, 0.0f, 1);
  EXPECT_NEAR(env->reward(), std::exp(1.0 / env->eval().distance) - 30.0, 1e-3);
  // Guarded near zero: finite in float32.
  EXPECT_DOUBLE_EQ(JetbotDirectReward(0.0), std::exp(20.0) - 30.0);
  EXPECT_TRUE(std::isfinite(static_cast<float>(JetbotDirectReward(0.0))));
  EXPECT_NEAR(JetbotDirectReward(0.2), std::exp(5.0) - 30.0, 1e-9);
}

// Direct never terminates: driving into the block reports success but goes on, and the engine's time
// limit ends the episode.
TEST(JetbotDirectTest, NeverTerminatesAndReportsSuccess) {
  auto env = MakeEnv(JetbotDefaults(JetbotTask::kDirect));
  ScriptedDrive drive(env->model());
  float a[2];
  bool succeeded = false;
  for (int s = 0; s < 150; ++s) {
    drive.Act(*env, a);
    ASSERT_TRUE(env->Step(a));
    EXPECT_FALSE(env->terminated()) << "step " << s;
    succeeded = succeeded || env->success();
  }
  EXPECT_TRUE(succeeded);
  std::vector<float> info(4);
  env->WriteInfo(info.data());
  EXPECT_NEAR(info[1], env->eval().distance, 1e-6);
}

// The camera refreshes every 0.1 s (3 policy steps): the policy sees each frame 3 times while driving.
TEST(JetbotDirectTest, ImageIsHeldBetweenCameraRefreshes) {
  JetbotConfig cfg = JetbotDefaults(JetbotTask::kDirect);
  cfg.obs_mode = ObsMode::kRgb;
  cfg.sensor_width = cfg.sensor_height = 64;
  auto env = MakeEnv(cfg);
  std::vector<std::vector<uint8_t>> frames = {Image(*env)};
  for (int s = 0; s < 7; ++s) {
    Drive(*env, 1.0f, 1.0f, 1);
    frames.push_back(Image(*env));
  }
  EXPECT_EQ(frames[1], frames[0]);
  EXPECT_EQ(frames[2], frames[0]);
  EXPECT_NE(frames[3], frames[2]);
  EXPECT_EQ(frames[4], frames[3]);
  EXPECT_EQ(frames[5], frames[3]);
  EXPECT_NE(frames[6], frames[5]);
  EXPECT_EQ(frames[7], frames[6]);
  // RenderCamera draws the current state, not the held frame.
  std::vector<uint8_t> now(frames[7].size());
  env->RenderCamera(*LoadJetbotScene(cfg)->renderer, nullptr, now.data(), nullptr);
  EXPECT_NE(now, frames[7]);
  // update_period 0: a new frame every policy step.
  cfg.camera.update_period = 0.0;
  auto every = MakeEnv(cfg);
  const auto f0 = Image(*every);
  Drive(*every, 1.0f, 1.0f, 1);
  EXPECT_NE(Image(*every), f0);
}

TEST(JetbotGoalTest, SuccessTerminatesWithTheBonus) {
  auto env = MakeEnv(JetbotDefaults(JetbotTask::kGoal));
  Pose(*env, 0.0, 0.0, 0.0, 0.45, 0.0);
  int steps = 0;
  while (!env->terminated() && steps < 60) {
    Drive(*env, 0.6f, 0.6f, 1);
    ++steps;
    if (!env->terminated()) {
      EXPECT_LT(env->reward(), 1.0);  // progress alone stays within +-1
    }
  }
  ASSERT_TRUE(env->terminated());
  EXPECT_TRUE(env->success());
  EXPECT_LT(env->eval().distance, 0.15);
  EXPECT_FALSE(env->eval().out_of_arena);
  EXPECT_GT(env->reward(), 10.0 - 0.01);
  EXPECT_GT(steps, 5);
}

TEST(JetbotGoalTest, ReachingAWallTerminatesWithThePenalty) {
  auto env = MakeEnv(JetbotDefaults(JetbotTask::kGoal));
  const double a = env->config().arena_half_size;
  Pose(*env, a - 0.3, 0.0, 0.0, 0.0, 0.0);  // facing the +x wall, the block behind
  EXPECT_FALSE(env->terminated());
  int steps = 0;
  while (!env->terminated() && steps < 60) {
    Drive(*env, 1.0f, 1.0f, 1);
    ++steps;
  }
  ASSERT_TRUE(env->terminated());
  EXPECT_FALSE(env->success());
  EXPECT_TRUE(env->eval().out_of_arena);
  EXPECT_LT(env->reward(), -5.0);
  std::vector<float> info(4);
  env->WriteInfo(info.data());
  EXPECT_EQ(info[3], 1.0f);
  EXPECT_EQ(info[0], 0.0f);
}

TEST(JetbotGoalTest, ShapedRewardTerms) {
  EXPECT_NEAR(JetbotGoalReward(0.50, 0.48, false, false), 20 * 0.02 - 0.01, 1e-12);
  EXPECT_NEAR(JetbotGoalReward(0.48, 0.50, false, false), -20 * 0.02 - 0.01, 1e-12);
  EXPECT_NEAR(JetbotGoalReward(0.9, 0.1, false, false), 1.0 - 0.01, 1e-12);  // progress clamped
  EXPECT_NEAR(JetbotGoalReward(0.16, 0.14, true, false), 0.4 - 0.01 + 10.0, 1e-12);
  EXPECT_NEAR(JetbotGoalReward(0.5, 0.5, false, true), -0.01 - 5.0, 1e-12);
}

// Goal draws the block in front of the jittered robot within the configured ranges; a seed reproduces the
// draws (poses, colours, gains), another seed does not.
TEST(JetbotGoalTest, ResetsAreReproducibleAndWithinTheRanges) {
  const JetbotConfig cfg = JetbotDefaults(JetbotTask::kGoal);
  EnvMaker maker = MakeJetbot(cfg);
  for (int i = 0; i < 40; ++i) {
    auto base = maker.factory(5, i);
    auto& env = static_cast<JetbotEnv&>(*base);
    const auto p = env.chassis_pose();
    EXPECT_LE(std::fabs(p[0] - cfg.robot_start[0]), cfg.robot_pose_noise.xy);
    EXPECT_LE(std::fabs(p[1] - cfg.robot_start[1]), cfg.robot_pose_noise.xy);
    EXPECT_LE(std::fabs(p[2] - cfg.robot_start[2]), cfg.robot_pose_noise.yaw);
    const auto& e = env.eval();
    const double planar = std::hypot(e.block_robot[0], e.block_robot[1]);
    EXPECT_GE(planar, cfg.goal_distance_range[0] - 1e-9);
    EXPECT_LE(planar, cfg.goal_distance_range[1] + 1e-9);
    EXPECT_GE(e.bearing, cfg.goal_bearing_range[0] - 1e-9);
    EXPECT_LE(e.bearing, cfg.goal_bearing_range[1] + 1e-9);
    EXPECT_FALSE(env.terminated());
  }
  auto a = MakeEnv(cfg, 9, 2), b = MakeEnv(cfg, 9, 2), c = MakeEnv(cfg, 10, 2);
  for (int r = 0; r < 3; ++r) {
    EXPECT_EQ(a->chassis_pose(), b->chassis_pose());
    EXPECT_EQ(a->block_pos(), b->block_pos());
    EXPECT_EQ(a->visuals().floor_rgba, b->visuals().floor_rgba);
    EXPECT_EQ(a->motor_gain(0), b->motor_gain(0));
    EXPECT_NE(a->chassis_pose(), c->chassis_pose());
    EXPECT_NE(a->block_pos(), c->block_pos());
    const bool reconfigure = r == 1;
    a->Reset(reconfigure);
    b->Reset(reconfigure);
    c->Reset(reconfigure);
  }
  // Trajectories repeat too.
  Drive(*a, 0.7f, 0.3f, 20);
  Drive(*b, 0.7f, 0.3f, 20);
  EXPECT_EQ(a->chassis_pose(), b->chassis_pose());
}

// Domain randomization gives each env its own colours, light, camera, motor gains and tyre friction, in
// the configured ranges; without it every env has the model's.
TEST(JetbotGoalTest, DomainRandomizationDiffersBetweenEnvs) {
  const JetbotConfig cfg = JetbotDefaults(JetbotTask::kGoal);
  const auto& r = cfg.domain_randomization_config;
  EnvMaker maker = MakeJetbot(cfg);
  auto e0 = maker.factory(3, 0), e1 = maker.factory(3, 1);
  auto& a = static_cast<JetbotEnv&>(*e0);
  auto& b = static_cast<JetbotEnv&>(*e1);
  EXPECT_NE(a.visuals().floor_rgba, b.visuals().floor_rgba);
  EXPECT_NE(a.visuals().wall_rgba, b.visuals().wall_rgba);
  EXPECT_NE(a.visuals().block_rgba, b.visuals().block_rgba);
  EXPECT_NE(a.wheel_friction(), b.wheel_friction());
  EXPECT_NE(a.motor_gain(0), b.motor_gain(0));
  EXPECT_NE(a.visuals().ambient, b.visuals().ambient);
  EXPECT_NE(a.camera_pose().fovy, b.camera_pose().fovy);
  for (const JetbotEnv* env : {&a, &b}) {
    EXPECT_GE(env->wheel_friction(), r.wheel_friction_range[0]);
    EXPECT_LE(env->wheel_friction(), r.wheel_friction_range[1]);
    for (int w = 0; w < 2; ++w) {
      EXPECT_GE(env->motor_gain(w), r.motor_gain_range[0]);
      EXPECT_LE(env->motor_gain(w), r.motor_gain_range[1]);
    }
    const auto& v = env->visuals();
    EXPECT_LE(std::fabs(v.fov - cfg.camera.fov), r.camera_fov_noise);
    EXPECT_LE(std::fabs(v.camera_pitch - cfg.camera.pitch), r.camera_pitch_noise);
    for (int k = 0; k < 3; ++k) {
      EXPECT_GE(v.ambient[k], r.ambient_range[0]);
      EXPECT_LE(v.ambient[k], r.ambient_range[1]);
      EXPECT_LE(std::fabs(v.camera_pos[k] - cfg.camera.pos[k]), r.camera_pos_noise[k]);
      EXPECT_GT(v.block_rgba[0], v.block_rgba[1] + 0.4f);  // still red
    }
    // The renderer reads the env's model copy.
    EXPECT_EQ(env->model()->geom_rgba[4 * env->ids().floor_geom], v.floor_rgba[0]);
  }
  // A gain drawn lower drives its wheel slower at the same duty (about in proportion: the wheels also
  // push each other through the ground while the robot turns).
  Drive(a, 1.0f, 1.0f, 30);
  const auto w = a.wheel_speeds();
  const double expected = (a.motor_gain(0) - 0.01 / 0.15) / (a.motor_gain(1) - 0.01 / 0.15);
  EXPECT_NEAR(w[0] / w[1], expected, 0.04 * expected);
  EXPECT_EQ(w[0] > w[1], a.motor_gain(0) > a.motor_gain(1));
  // Reconfiguring re-draws them.
  const auto before = a.visuals().floor_rgba;
  a.Reset(true);
  EXPECT_NE(a.visuals().floor_rgba, before);

  JetbotConfig off = cfg;
  off.domain_randomization = false;
  EnvMaker plain = MakeJetbot(off);
  auto p0 = plain.factory(3, 0), p1 = plain.factory(3, 1);
  auto& c = static_cast<JetbotEnv&>(*p0);
  auto& d = static_cast<JetbotEnv&>(*p1);
  EXPECT_EQ(c.visuals().floor_rgba, d.visuals().floor_rgba);
  EXPECT_EQ(c.wheel_friction(), d.wheel_friction());
  EXPECT_EQ(c.motor_gain(0), 1.0);
  EXPECT_EQ(c.camera_pose().fovy, cfg.camera.fov);
}

// The state observation sees the block in the chassis frame; rgb sees only the last action (what the real
// robot knows), and the privileged observation is the state vector.
TEST(JetbotObsTest, LayoutOfBothModes) {
  JetbotConfig cfg = JetbotDefaults(JetbotTask::kGoal);
  cfg.privileged_state = true;
  const EnvSpec spec = JetbotSpec(cfg);
  EXPECT_EQ(spec.id, "JetbotGoal-v0");
  EXPECT_EQ(spec.obs_dim, 11);
  EXPECT_EQ(spec.action_dim, 2);
  EXPECT_EQ(spec.control_freq, 30.0);
  EXPECT_EQ(spec.max_episode_steps, 150);
  EXPECT_EQ(spec.obs_names[0], "block/x_robot");
  EXPECT_EQ(spec.privileged_obs_names.size(), 11u);
  EXPECT_EQ(spec.info_names, (std::vector<std::string>{"success", "distance", "bearing", "out_of_arena"}));
  EXPECT_EQ(spec.image_width, 0);
  auto env = MakeEnv(cfg);
  // Block 0.5 m ahead and 0.3 m to the left of a robot facing +y.
  Pose(*env, 0.2, 0.1, M_PI / 2, -0.1, 0.6);
  std::vector<float> obs(11);
  env->WriteObs(obs.data());
  EXPECT_NEAR(obs[0], 0.5, 1e-5);
  EXPECT_NEAR(obs[1], 0.3, 1e-5);
  EXPECT_NEAR(obs[2], std::sqrt(0.34 + 0.005 * 0.005), 1e-5);
  EXPECT_NEAR(obs[3], 0.5 / std::sqrt(0.34), 1e-5);
  EXPECT_NEAR(obs[4], 0.3 / std::sqrt(0.34), 1e-5);

  cfg.obs_mode = ObsMode::kRgb;
  const EnvSpec rgb = JetbotSpec(cfg);
  EXPECT_EQ(rgb.obs_names, (std::vector<std::string>{"action/left", "action/right"}));
  EXPECT_EQ(rgb.image_width, 224);
  EXPECT_EQ(rgb.image_height, 224);
  EXPECT_EQ(rgb.privileged_obs_names, spec.obs_names);
  auto renv = MakeEnv(cfg);
  Drive(*renv, 0.25f, -0.5f, 1);
  std::vector<float> o(2), priv(11);
  renv->WriteObs(o.data());
  EXPECT_EQ(o[0], 0.25f);
  EXPECT_EQ(o[1], -0.5f);
  renv->WritePrivilegedObs(priv.data());
  EXPECT_EQ(priv[5], 0.25f);
  EXPECT_EQ(priv[6], -0.5f);
  EXPECT_NEAR(priv[2], renv->eval().distance, 1e-6);
  EXPECT_EQ(renv->MakeGreenscreen(64, 64), nullptr);
}

// SetRobotJoints takes the planar pose and velocity; the wheels roll with the chassis.
TEST(JetbotObsTest, SetRobotJointsIsThePlanarPose) {
  auto env = MakeEnv(JetbotConfig());
  const double pose[3] = {0.3, -0.2, 0.7};
  const double vel[3] = {0.3 * std::cos(0.7), 0.3 * std::sin(0.7), 1.0};
  env->SetRobotJoints(pose, vel);
  env->Refresh();
  const auto p = env->chassis_pose();
  EXPECT_NEAR(p[0], 0.3, 1e-12);
  EXPECT_NEAR(p[1], -0.2, 1e-12);
  EXPECT_NEAR(p[2], 0.7, 1e-12);
  const auto w = env->wheel_speeds();
  EXPECT_NEAR(w[0], (0.3 - 0.5 * kJetbotTrack) / kJetbotWheelRadius, 1e-9);
  EXPECT_NEAR(w[1], (0.3 + 0.5 * kJetbotTrack) / kJetbotWheelRadius, 1e-9);
  // The camera rides on the chassis.
  const auto& cam = env->camera_pose();
  const auto& c = env->config().camera;
  EXPECT_NEAR(cam.eye[0], 0.3 + std::cos(0.7) * c.pos[0], 1e-9);
  EXPECT_NEAR(cam.eye[1], -0.2 + std::sin(0.7) * c.pos[0], 1e-9);
  EXPECT_NEAR(cam.eye[2], kJetbotWheelRadius + c.pos[2], 1e-9);
  const double dx = cam.target[0] - cam.eye[0], dy = cam.target[1] - cam.eye[1];
  EXPECT_NEAR(std::atan2(dy, dx), 0.7, 1e-9);
  EXPECT_NEAR(cam.target[2] - cam.eye[2], -std::sin(c.pitch), 1e-9);
  EXPECT_DOUBLE_EQ(cam.fovy, c.fov);
}

// The red block straight ahead at 0.4 m is seen near the image's centre column, a little above the middle.
TEST(JetbotCameraTest, BlockStraightAheadIsSeenNearTheImageCentre) {
  JetbotConfig cfg = JetbotDefaults(JetbotTask::kDirect);
  cfg.obs_mode = ObsMode::kRgb;
  auto env = MakeEnv(cfg);
  Pose(*env, 0.0, 0.0, 0.0, 0.4, 0.0);
  const auto img = Image(*env);
  const int w = cfg.sensor_width, h = cfg.sensor_height;
  int count = 0;
  double sum_u = 0, sum_v = 0;
  for (int v = 0; v < h; ++v)
    for (int u = 0; u < w; ++u) {
      const uint8_t* px = &img[(static_cast<size_t>(v) * w + u) * 3];
      if (px[0] > 90 && px[1] < 50 && px[2] < 50) {
        ++count;
        sum_u += u + 0.5;
        sum_v += v + 0.5;
      }
    }
  ASSERT_GT(count, 200);  // a 5 cm block at 0.34 m from the lens spans ~25 px at 224 px
  EXPECT_NEAR(sum_u / count, 0.5 * w, 3.0);
  EXPECT_GT(sum_v / count, 0.25 * h);
  EXPECT_LT(sum_v / count, 0.55 * h);
  // Turned away, the block leaves the picture.
  Pose(*env, 0.0, 0.0, 1.2, 0.4, 0.0);
  const auto away = Image(*env);
  int left = 0;
  for (size_t i = 0; i < away.size(); i += 3) left += away[i] > 90 && away[i + 1] < 50 && away[i + 2] < 50;
  EXPECT_EQ(left, 0);
}

// Both tasks in the batched engine: the same seed gives the same observations, images and rewards whatever
// the thread count; Direct episodes end only at the time limit.
TEST(JetbotEngineTest, SameBatchWhateverTheThreadCount) {
  for (JetbotTask task : {JetbotTask::kDirect, JetbotTask::kGoal}) {
    JetbotConfig cfg = JetbotDefaults(task);
    cfg.obs_mode = ObsMode::kRgb;
    cfg.sensor_width = cfg.sensor_height = 32;
    cfg.privileged_state = true;
    const EnvMaker maker = MakeJetbot(cfg);
    VecEnvConfig v;
    v.num_envs = 4;
    v.seed = 7;
    VecEnv one(maker.spec, maker.factory, v);
    v.num_threads = 2;
    VecEnv two(maker.spec, maker.factory, v);
    Rng rng(3);
    std::vector<float> actions(8);
    for (int step = 0; step < 160; ++step) {
      for (float& a : actions) a = static_cast<float>(rng.Uniform(-1.0, 1.0));
      one.Step(actions.data());
      two.Step(actions.data());
      ASSERT_EQ(0, std::memcmp(one.image(), two.image(), 4 * one.image_size())) << "step " << step;
      ASSERT_EQ(0, std::memcmp(one.privileged_obs(), two.privileged_obs(), 4 * 11 * sizeof(float)));
      ASSERT_EQ(0, std::memcmp(one.reward(), two.reward(), 4 * sizeof(float)));
      ASSERT_EQ(0, std::memcmp(one.terminated(), two.terminated(), 4));
      if (task == JetbotTask::kDirect)
        for (int i = 0; i < 4; ++i) {
          EXPECT_EQ(one.terminated()[i], 0);
          EXPECT_EQ(one.truncated()[i], step == 149 ? 1 : 0) << "step " << step;
        }
    }
    EXPECT_EQ(one.diverged_count(), 0);
  }
}

// The proof that the Goal task can be done within its 150 steps (randomization on).
TEST(ScriptedDriveTest, ReachesTheBlockInMostGoalEpisodes) {
  const JetbotConfig cfg = JetbotDefaults(JetbotTask::kGoal);
  EnvMaker maker = MakeJetbot(cfg);
  constexpr int kEnvs = 4, kEpisodes = 60;
  std::vector<std::unique_ptr<MjEnv>> envs;
  for (int i = 0; i < kEnvs; ++i) envs.push_back(maker.factory(21, i));
  const auto drive = MakeScriptedDrive(*envs[0]);
  std::vector<float> action(2);
  int successes = 0;
  for (int episode = 0; episode < kEpisodes; ++episode) {
    MjEnv& env = *envs[episode % kEnvs];
    env.Reset(/*reconfigure=*/true);
    drive->Reset();
    for (int step = 0; step < maker.spec.max_episode_steps && !env.terminated(); ++step) {
      drive->Act(env, action.data());
      ASSERT_TRUE(env.Step(action.data())) << "episode " << episode << " step " << step;
    }
    successes += env.success();
  }
  EXPECT_GE(successes, 0.9 * kEpisodes);
}

// The registry builds both ids from their own defaults, and refuses another task's config (or the other
// Jetbot task's) instead of reading it as the wrong type.
TEST(JetbotRegistryTest, IdsBuildFromTheirDefaultsAndRefuseOtherConfigs) {
  for (const char* id : {kJetbotDirectId, kJetbotGoalId}) {
    const std::unique_ptr<EnvConfig> cfg = DefaultEnvConfig(id);
    const EnvSpec spec = MakeEnvSpec(id, *cfg);
    EXPECT_EQ(spec.id, id);
    EXPECT_EQ(spec.action_dim, 2);
    EXPECT_EQ(spec.obs_dim, 11);
    EXPECT_EQ(cfg->control_mode_name(), "motor_duty");
    const auto env = MakeEnv(id, *cfg).factory(3, 0);
    auto ctrl = MakeScripted(id, *env);
    float a[2] = {0, 0};
    ctrl->Act(*env, a);
    EXPECT_GT(a[0] + a[1], 0.0f) << id << ": the block is ahead at the start";
  }
  EXPECT_EQ(static_cast<const JetbotConfig&>(*DefaultEnvConfig(kJetbotGoalId)).domain_randomization, true);
  EXPECT_EQ(static_cast<const JetbotConfig&>(*DefaultEnvConfig(kJetbotDirectId)).domain_randomization, false);
  auto expect_refused = [](const std::string& id, const EnvConfig& cfg, const std::string& part) {
    try {
      MakeEnv(id, cfg);
      ADD_FAILURE() << id << " built from another config";
    } catch (const ConfigError& e) {
      EXPECT_THAT(std::string(e.what()), HasSubstr(id));
      EXPECT_THAT(std::string(e.what()), HasSubstr(part));
    }
  };
  expect_refused(kJetbotDirectId, JetbotDefaults(JetbotTask::kGoal), kJetbotGoalId);
  expect_refused(kGraspCubeId, JetbotDefaults(JetbotTask::kGoal), "another task's env config");
  expect_refused(kJetbotGoalId, *DefaultEnvConfig(kGraspCubeId), "another task's env config");
  JetbotConfig bad = JetbotDefaults(JetbotTask::kGoal);
  try {
    bad.SetControlMode("pd_joint_pos", "--control-mode");
    ADD_FAILURE() << "a joint control mode was accepted for the Jetbot";
  } catch (const ConfigError& e) {
    EXPECT_THAT(std::string(e.what()), HasSubstr("--control-mode"));
    EXPECT_THAT(std::string(e.what()), HasSubstr("motor_duty"));
  }
}

}  // namespace
}  // namespace s2r::sim
