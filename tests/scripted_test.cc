// The scripted grasp controller on a small seeded batch (and built by the registry, driven through the env
// interface): the proof that the twin can do the task.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/so100_layout.h"
#include "sim/env_registry.h"
#include "sim/scripted_episodes.h"
#include "sim/scripted_grasp.h"

namespace s2r::sim {
namespace {

TEST(ScriptedGraspTest, SucceedsOnASmallSeededBatch) {
  GraspCubeConfig cfg;
  const ScriptedStats s =
      RunScriptedEpisodes(kGraspCubeId, cfg, 40, /*seed=*/3, /*num_envs=*/8, /*threads=*/2);
  EXPECT_EQ(s.episodes, 40);
  EXPECT_GE(s.success_rate, 0.75);
  ASSERT_TRUE(s.grasp_rate.has_value());     // the task reports is_grasped
  EXPECT_GE(*s.grasp_rate, s.success_rate);  // success requires a grasp
  EXPECT_GT(s.mean_success_step, 5.0);
  EXPECT_LE(s.mean_success_step, 64.0);
  EXPECT_EQ(s.diverged, 0);
}

TEST(ScriptedGraspTest, SameResultWhateverTheThreadCount) {
  GraspCubeConfig cfg;
  const ScriptedStats a = RunScriptedEpisodes(kGraspCubeId, cfg, 16, 11, 4, 1);
  const ScriptedStats b = RunScriptedEpisodes(kGraspCubeId, cfg, 16, 11, 4, 3);
  EXPECT_EQ(a.success_rate, b.success_rate);
  EXPECT_EQ(a.grasp_rate, b.grasp_rate);
  EXPECT_EQ(a.mean_return, b.mean_return);
}

TEST(ScriptedGraspTest, WorksInTheAbsoluteControlMode) {
  GraspCubeConfig cfg;
  cfg.control_mode = ControlMode::kJointPos;
  const ScriptedStats s = RunScriptedEpisodes(kGraspCubeId, cfg, 16, 5, 8, 2);
  EXPECT_GE(s.success_rate, 0.6);
}

// The registry's controller on an env built by id, both used only through their interfaces.
TEST(ScriptedGraspTest, RegistryControllerSucceedsThroughTheInterface) {
  const EnvMaker maker = MakeEnv(kGraspCubeId, GraspCubeConfig());
  const auto env = maker.factory(/*seed=*/3, 0);
  const auto ctrl = MakeScripted(kGraspCubeId, *env);
  std::vector<float> action(static_cast<size_t>(maker.spec.action_dim));
  int successes = 0;
  constexpr int kEpisodes = 8;
  for (int episode = 0; episode < kEpisodes; ++episode) {
    for (int step = 0; step < maker.spec.max_episode_steps && !env->success(); ++step) {
      ctrl->Act(*env, action.data());
      ASSERT_TRUE(env->Step(action.data())) << "episode " << episode << " step " << step;
    }
    successes += env->success();
    env->Reset(false);
    ctrl->Reset();
  }
  EXPECT_GE(successes, 6) << "of " << kEpisodes;
}

TEST(ScriptedGraspTest, IkPutsTheGraspPointOnTarget) {
  GraspCubeConfig cfg;
  EnvMaker maker = MakeGraspCube(cfg);
  auto base = maker.factory(1, 0);
  auto& env = static_cast<GraspCubeEnv&>(*base);
  ScriptedGrasp planner(env.model());
  for (const auto& p : {std::array<double, 3>{0.22, 0.05, 0.02}, std::array<double, 3>{0.3, -0.04, 0.06}}) {
    const auto q = planner.SolveIk(env, p, 0.4, {0, 0, 0, 1.57, 1.57});
    mjData* d = env.data();
    for (int j = 0; j < 5; ++j) d->qpos[env.ids().qpos_adr[j]] = q[j];
    mj_kinematics(env.model(), d);
    // The fixed jaw points down and its closing axis lies across a cube face (yaw 0.4 mod 90 deg).
    const double* r = d->xmat + 9 * env.ids().fixed_jaw_body;
    EXPECT_LT(r[6], -0.99) << "approach axis z";
    const double closing_azimuth = std::atan2(r[4], r[1]);
    EXPECT_NEAR(std::remainder(closing_azimuth - 0.4, so100::kPi / 2), 0.0, 0.02);
    for (int j = 0; j < 5; ++j) {
      EXPECT_GE(q[j], so100::kJointLow[j]);
      EXPECT_LE(q[j], so100::kJointHigh[j]);
    }
  }
}

}  // namespace
}  // namespace s2r::sim
