// Tests of the batched engine (src/sim/vec_env) on the real SO100GraspCube-v1 MuJoCo env: buffer
// shapes, determinism across thread counts, auto-reset, reconfiguration and divergence handling.
#include "sim/vec_env.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/rng.h"
#include "core/so100_layout.h"
#include "sim/env_registry.h"
#include "sim/grasp_cube_env.h"

namespace s2r::sim {
namespace {

using ::testing::HasSubstr;
namespace o = so100::obs;

constexpr int kA = so100::kNumJoints;

std::unique_ptr<VecEnv> Make(int num_envs, int threads, uint64_t seed, bool ignore_terminations = false,
                             int reconfiguration_freq = 0, const GraspCubeConfig& cfg = GraspCubeConfig()) {
  VecEnvConfig v;
  v.num_envs = num_envs;
  v.num_threads = threads;
  v.seed = seed;
  v.ignore_terminations = ignore_terminations;
  v.reconfiguration_freq = reconfiguration_freq;
  return MakeVecEnv(kGraspCubeId, cfg, v);
}

GraspCubeEnv& Task(VecEnv& venv, int i) { return static_cast<GraspCubeEnv&>(venv.env(i)); }

std::vector<float> RandomActions(Rng& rng, int num_envs) {
  std::vector<float> a(static_cast<size_t>(num_envs * kA));
  for (auto& x : a) x = static_cast<float>(rng.Uniform(-1.0, 1.0));
  return a;
}

const float* ObsOf(const VecEnv& venv, const float* buf, int i) {
  return buf + static_cast<size_t>(i) * static_cast<size_t>(venv.spec().obs_dim);
}

// True if env i's observation looks like the first one of an episode: targets equal positions.
bool IsFreshResetObs(const float* obs) {
  for (int j = 0; j < kA; ++j)
    if (obs[o::kTargetQpos + j] != obs[o::kQpos + j]) return false;
  return true;
}

template <typename T>
void Append(std::vector<T>* out, const T* p, int n) {
  out->insert(out->end(), p, p + n);
}

template <typename T>
bool BitEqual(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

// ---------------------------------------------------------------------------------------------
// Shapes

TEST(VecEnvTest, StateModeShapes) {
  auto venv = Make(3, 1, 0);
  const EnvSpec& spec = venv->spec();
  EXPECT_EQ(spec.id, "SO100GraspCube-v1");
  EXPECT_EQ(spec.obs_dim, 31);
  EXPECT_EQ(spec.obs_dim, o::kStateDim);
  EXPECT_EQ(spec.obs_names.size(), 31u);
  EXPECT_EQ(spec.obs_names[o::kQpos], "qpos/shoulder_pan");
  EXPECT_EQ(spec.obs_names[o::kTargetQpos + 5], "target_qpos/gripper");
  EXPECT_EQ(spec.obs_names[o::kIsGrasped], "is_grasped");
  EXPECT_EQ(spec.action_dim, 6);
  ASSERT_EQ(spec.action_low.size(), 6u);
  ASSERT_EQ(spec.action_high.size(), 6u);
  for (int j = 0; j < kA; ++j) {
    EXPECT_EQ(spec.action_low[j], -1.0);
    EXPECT_EQ(spec.action_high[j], 1.0);
  }
  EXPECT_EQ(spec.max_episode_steps, 64);
  EXPECT_EQ(spec.control_freq, 20.0);
  ASSERT_EQ(spec.info_names.size(), 6u);
  EXPECT_EQ(spec.info_names[0], "success");
  EXPECT_EQ(spec.info_names[1], "is_grasped");
  EXPECT_EQ(venv->num_envs(), 3);
  EXPECT_EQ(venv->num_threads(), 1);

  // After construction: episode starts, finite observations, rest pose plus small noise.
  for (int i = 0; i < 3; ++i) {
    const float* obs = ObsOf(*venv, venv->obs(), i);
    for (int k = 0; k < spec.obs_dim; ++k) ASSERT_TRUE(std::isfinite(obs[k])) << "env " << i << " obs " << k;
    EXPECT_TRUE(IsFreshResetObs(obs)) << "env " << i;
    for (int j = 0; j < kA; ++j) EXPECT_NEAR(obs[o::kQpos + j], so100::kRestQpos[j], 0.15) << "env " << i;
    for (int j = 0; j < so100::kNumArmJoints; ++j)
      EXPECT_NEAR(obs[o::kDistToRest + j], obs[o::kTargetQpos + j] - so100::kRestQpos[j], 1e-6);
    EXPECT_EQ(venv->elapsed_steps()[i], 0);
    EXPECT_EQ(venv->truncated()[i], 0);
    EXPECT_EQ(venv->terminated()[i], 0);
  }
}

TEST(VecEnvTest, RgbModeShapesAndStepping) {
  GraspCubeConfig cfg;
  cfg.obs_mode = ObsMode::kRgb;
  auto venv = Make(2, 2, 0, false, 0, cfg);
  EXPECT_EQ(venv->spec().obs_dim, 17);
  EXPECT_EQ(venv->spec().obs_dim, o::kRgbStateDim);
  EXPECT_EQ(venv->spec().obs_names.size(), 17u);
  EXPECT_EQ(venv->spec().action_dim, 6);
  EXPECT_EQ(venv->spec().info_names.size(), 6u);
  // The state part matches what state mode reports for the same seed.
  auto state = Make(2, 1, 0);
  for (int i = 0; i < 2; ++i)
    EXPECT_EQ(std::memcmp(ObsOf(*venv, venv->obs(), i), ObsOf(*state, state->obs(), i), 17 * sizeof(float)),
              0)
        << "env " << i;
  Rng rng(3);
  const auto actions = RandomActions(rng, 2);
  venv->Step(actions.data());
  state->Step(actions.data());
  for (int i = 0; i < 2; ++i)
    EXPECT_EQ(std::memcmp(ObsOf(*venv, venv->obs(), i), ObsOf(*state, state->obs(), i), 17 * sizeof(float)),
              0)
        << "env " << i;
}

TEST(VecEnvTest, JointPosModeActionRangeIsJointLimits) {
  GraspCubeConfig cfg;
  cfg.control_mode = ControlMode::kJointPos;
  const EnvSpec spec = MakeGraspCube(cfg).spec;
  for (int j = 0; j < kA; ++j) {
    EXPECT_EQ(spec.action_low[j], so100::kJointLow[j]);
    EXPECT_EQ(spec.action_high[j], so100::kJointHigh[j]);
  }
}

TEST(VecEnvTest, BadBatchConfigThrows) {
  try {
    Make(0, 1, 0);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_THAT(std::string(e.what()), HasSubstr("num_envs"));
  }
  try {
    Make(2, 0, 0);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_THAT(std::string(e.what()), HasSubstr("threads"));
  }
  VecEnvConfig v;
  try {
    MakeVecEnv("SO100PushCube-v1", GraspCubeConfig(), v);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_THAT(std::string(e.what()), HasSubstr("SO100PushCube-v1"));
    EXPECT_THAT(std::string(e.what()), HasSubstr("SO100GraspCube-v1"));
  }
}

// ---------------------------------------------------------------------------------------------
// Determinism

struct Trace {
  std::vector<float> obs, final_obs, reward, info;
  std::vector<uint8_t> terminated, truncated;
  std::vector<int32_t> elapsed;
};

Trace RunRandom(int num_envs, int threads, uint64_t seed, int steps) {
  auto venv = Make(num_envs, threads, seed);
  const int od = venv->spec().obs_dim, k = static_cast<int>(venv->spec().info_names.size());
  Rng rng(2024);
  Trace t;
  Append(&t.obs, venv->obs(), num_envs * od);
  for (int s = 0; s < steps; ++s) {
    const auto actions = RandomActions(rng, num_envs);
    venv->Step(actions.data());
    Append(&t.obs, venv->obs(), num_envs * od);
    Append(&t.final_obs, venv->final_obs(), num_envs * od);
    Append(&t.reward, venv->reward(), num_envs);
    Append(&t.info, venv->info(), num_envs * k);
    Append(&t.terminated, venv->terminated(), num_envs);
    Append(&t.truncated, venv->truncated(), num_envs);
    Append(&t.elapsed, venv->elapsed_steps(), num_envs);
  }
  EXPECT_EQ(venv->diverged_count(), 0);
  return t;
}

TEST(VecEnvTest, SameSeedIsBitIdenticalAcrossThreadCounts) {
  constexpr int kEnvs = 7, kSteps = 130;  // two auto-resets at steps 64 and 128
  const Trace ref = RunRandom(kEnvs, 1, 17, kSteps);
  int truncations = 0;
  for (uint8_t t : ref.truncated) truncations += t;
  EXPECT_EQ(truncations, 2 * kEnvs);
  for (int threads : {2, 3, 8}) {
    const Trace t = RunRandom(kEnvs, threads, 17, kSteps);
    EXPECT_TRUE(BitEqual(ref.obs, t.obs)) << "obs, threads " << threads;
    EXPECT_TRUE(BitEqual(ref.final_obs, t.final_obs)) << "final_obs, threads " << threads;
    EXPECT_TRUE(BitEqual(ref.reward, t.reward)) << "reward, threads " << threads;
    EXPECT_TRUE(BitEqual(ref.info, t.info)) << "info, threads " << threads;
    EXPECT_TRUE(BitEqual(ref.terminated, t.terminated)) << "terminated, threads " << threads;
    EXPECT_TRUE(BitEqual(ref.truncated, t.truncated)) << "truncated, threads " << threads;
    EXPECT_TRUE(BitEqual(ref.elapsed, t.elapsed)) << "elapsed, threads " << threads;
  }
  // The trajectory actually moves: the rewards are not all one value.
  bool varied = false;
  for (float r : ref.reward) varied = varied || r != ref.reward[0];
  EXPECT_TRUE(varied);
}

TEST(VecEnvTest, DifferentSeedsGiveDifferentInitialStates) {
  auto a = Make(4, 1, 1), b = Make(4, 1, 2), a2 = Make(4, 2, 1);
  const size_t od = static_cast<size_t>(a->spec().obs_dim);
  EXPECT_EQ(std::memcmp(a->obs(), a2->obs(), 4 * od * sizeof(float)), 0);
  for (int i = 0; i < 4; ++i) {
    EXPECT_NE(std::memcmp(ObsOf(*a, a->obs(), i), ObsOf(*b, b->obs(), i), od * sizeof(float)), 0)
        << "env " << i;
    EXPECT_NE(Task(*a, i).cube_half_size(), Task(*b, i).cube_half_size()) << "env " << i;
  }
  // Envs within a batch differ from each other as well.
  EXPECT_NE(std::memcmp(ObsOf(*a, a->obs(), 0), ObsOf(*a, a->obs(), 1), od * sizeof(float)), 0);
}

// ---------------------------------------------------------------------------------------------
// Episodes: truncation, termination, resets

TEST(VecEnvTest, TruncatesAllEnvsAtMaxEpisodeSteps) {
  constexpr int kEnvs = 4;
  // reconfiguration_freq 1 must not apply to auto-resets, only to Reset().
  auto venv = Make(kEnvs, 2, 5, /*ignore_terminations=*/true, /*reconfiguration_freq=*/1);
  const int od = venv->spec().obs_dim;
  std::vector<double> sizes;
  for (int i = 0; i < kEnvs; ++i) sizes.push_back(Task(*venv, i).cube_half_size());
  Rng rng(9);
  std::vector<float> prev_obs;
  std::vector<float> actions;
  for (int s = 1; s <= 64; ++s) {
    prev_obs.assign(venv->obs(), venv->obs() + kEnvs * od);
    actions = RandomActions(rng, kEnvs);
    venv->Step(actions.data());
    for (int i = 0; i < kEnvs; ++i) {
      ASSERT_EQ(venv->terminated()[i], 0) << "step " << s << " env " << i;
      ASSERT_EQ(venv->diverged()[i], 0) << "step " << s << " env " << i;
      if (s < 64) {
        ASSERT_EQ(venv->truncated()[i], 0) << "step " << s << " env " << i;
        ASSERT_EQ(venv->elapsed_steps()[i], s) << "env " << i;
      }
    }
  }
  for (int i = 0; i < kEnvs; ++i) {
    EXPECT_EQ(venv->truncated()[i], 1) << "env " << i;
    EXPECT_EQ(venv->elapsed_steps()[i], 0) << "env " << i;
    const float* obs = ObsOf(*venv, venv->obs(), i);
    const float* fin = ObsOf(*venv, venv->final_obs(), i);
    EXPECT_NE(std::memcmp(obs, fin, static_cast<size_t>(od) * sizeof(float)), 0) << "env " << i;
    EXPECT_TRUE(IsFreshResetObs(obs)) << "env " << i;
    EXPECT_FALSE(IsFreshResetObs(fin)) << "env " << i;
    // final_obs is the post-step state: its targets are the previous targets plus the last deltas.
    const float* prev = &prev_obs[static_cast<size_t>(i * od)];
    for (int j = 0; j < kA; ++j) {
      const double delta = actions[static_cast<size_t>(i * kA + j)] * (j < so100::kNumArmJoints ? 0.05 : 0.2);
      EXPECT_NEAR(fin[o::kTargetQpos + j], prev[o::kTargetQpos + j] + delta, 1e-5)
          << "env " << i << " joint " << j;
    }
    EXPECT_EQ(Task(*venv, i).cube_half_size(), sizes[static_cast<size_t>(i)]) << "env " << i;
  }
  // The next episode counts from 1 again.
  actions = RandomActions(rng, kEnvs);
  venv->Step(actions.data());
  for (int i = 0; i < kEnvs; ++i) {
    EXPECT_EQ(venv->truncated()[i], 0);
    EXPECT_EQ(venv->elapsed_steps()[i], 1);
  }
}

// Steps the scripted controller on a batch for one 64-step round; counts success and termination flags.
struct ScriptedRound {
  int success_flags = 0, terminations = 0, truncations = 0;
};

ScriptedRound RunScripted(VecEnv& venv) {
  const int n = venv.num_envs(), od = venv.spec().obs_dim;
  const size_t k = venv.spec().info_names.size();
  std::vector<std::unique_ptr<ScriptedController>> ctrl;
  for (int i = 0; i < n; ++i) ctrl.push_back(MakeScripted(venv.spec().id, venv.env(i)));
  std::vector<float> actions(static_cast<size_t>(n * kA));
  ScriptedRound r;
  for (int s = 1; s <= 64; ++s) {
    for (int i = 0; i < n; ++i)
      ctrl[static_cast<size_t>(i)]->Act(venv.env(i), &actions[static_cast<size_t>(i * kA)]);
    venv.Step(actions.data());
    for (int i = 0; i < n; ++i) {
      const size_t u = static_cast<size_t>(i);
      r.success_flags += venv.success()[u];
      r.terminations += venv.terminated()[u];
      r.truncations += venv.truncated()[u];
      EXPECT_EQ(venv.diverged()[u], 0);
      if (venv.terminated()[u]) {
        // A termination is a success; the episode restarts and final_* hold its last step.
        EXPECT_EQ(venv.success()[u], 1) << "step " << s << " env " << i;
        EXPECT_EQ(venv.final_info()[u * k], 1.0f) << "final_info success, env " << i;
        EXPECT_EQ(venv.elapsed_steps()[u], 0) << "env " << i;
        EXPECT_TRUE(IsFreshResetObs(ObsOf(venv, venv.obs(), i))) << "env " << i;
        EXPECT_NE(std::memcmp(ObsOf(venv, venv.obs(), i), ObsOf(venv, venv.final_obs(), i),
                              static_cast<size_t>(od) * sizeof(float)),
                  0);
      }
      if (venv.terminated()[u] || venv.truncated()[u]) ctrl[u]->Reset();
    }
  }
  return r;
}

TEST(VecEnvTest, SuccessTerminatesUnlessTerminationsAreIgnored) {
  constexpr int kEnvs = 8;
  auto partial = Make(kEnvs, 2, 11, /*ignore_terminations=*/false);
  const ScriptedRound a = RunScripted(*partial);
  // The scripted controller succeeds in most episodes; each success ends its episode at once.
  ASSERT_GT(a.terminations, 0) << "no successes: the termination path went untested";
  EXPECT_EQ(a.success_flags, a.terminations);

  auto together = Make(kEnvs, 2, 11, /*ignore_terminations=*/true);
  const ScriptedRound b = RunScripted(*together);
  EXPECT_GT(b.success_flags, 0);
  EXPECT_EQ(b.terminations, 0);
  EXPECT_EQ(b.truncations, kEnvs);  // every env ends only at step 64, all together
}

TEST(VecEnvTest, ResetRedrawsInitialStates) {
  auto venv = Make(3, 1, 4);
  const size_t n = 3 * static_cast<size_t>(venv->spec().obs_dim);
  const std::vector<float> first(venv->obs(), venv->obs() + n);
  Rng rng(1);
  for (int s = 0; s < 5; ++s) venv->Step(RandomActions(rng, 3).data());
  venv->Reset();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(venv->elapsed_steps()[i], 0);
    EXPECT_TRUE(IsFreshResetObs(ObsOf(*venv, venv->obs(), i))) << "env " << i;
    EXPECT_NE(std::memcmp(ObsOf(*venv, venv->obs(), i), &first[static_cast<size_t>(i * venv->spec().obs_dim)],
                          static_cast<size_t>(venv->spec().obs_dim) * sizeof(float)),
              0)
        << "env " << i;
  }
}

std::vector<double> CubeSizes(VecEnv& venv) {
  std::vector<double> s;
  for (int i = 0; i < venv.num_envs(); ++i) s.push_back(Task(venv, i).cube_half_size());
  return s;
}

void ExpectSizesInRange(VecEnv& venv, double lo, double hi) {
  for (int i = 0; i < venv.num_envs(); ++i) {
    const double h = Task(venv, i).cube_half_size();
    EXPECT_GE(h, lo) << "env " << i;
    EXPECT_LE(h, hi) << "env " << i;
    // The cube rests on the table: its centre height in the observation is its half size.
    EXPECT_FLOAT_EQ(ObsOf(venv, venv.obs(), i)[o::kObjPose + 2], static_cast<float>(h)) << "env " << i;
  }
}

TEST(VecEnvTest, ReconfigurationRedrawsCubeSizesOnReset) {
  auto every = Make(5, 2, 8, false, /*reconfiguration_freq=*/1);
  ExpectSizesInRange(*every, 0.011, 0.014);
  const auto s0 = CubeSizes(*every);
  every->Reset();
  const auto s1 = CubeSizes(*every);
  for (size_t i = 0; i < s0.size(); ++i) EXPECT_NE(s0[i], s1[i]) << "env " << i;
  ExpectSizesInRange(*every, 0.011, 0.014);

  auto never = Make(5, 2, 8, false, /*reconfiguration_freq=*/0);
  EXPECT_EQ(CubeSizes(*never), s0);  // same seed, same load-time draws
  never->Reset();
  never->Reset();
  EXPECT_EQ(CubeSizes(*never), s0);
  ExpectSizesInRange(*never, 0.011, 0.014);

  auto second = Make(5, 1, 8, false, /*reconfiguration_freq=*/2);
  second->Reset();
  EXPECT_EQ(CubeSizes(*second), s0);
  second->Reset();
  const auto s2 = CubeSizes(*second);
  for (size_t i = 0; i < s0.size(); ++i) EXPECT_NE(s0[i], s2[i]) << "env " << i;
}

TEST(VecEnvTest, CubeSizeIsFixedWithoutDomainRandomization) {
  GraspCubeConfig cfg;
  cfg.domain_randomization = false;
  auto venv = Make(4, 2, 3, false, 1, cfg);
  for (double h : CubeSizes(*venv)) EXPECT_DOUBLE_EQ(h, kDefaultCubeHalfSize);
  venv->Reset();
  for (double h : CubeSizes(*venv)) EXPECT_DOUBLE_EQ(h, kDefaultCubeHalfSize);
  ExpectSizesInRange(*venv, 0.0125 - 1e-12, 0.0125 + 1e-12);
}

// ---------------------------------------------------------------------------------------------
// Bad actions and diverging simulations

TEST(VecEnvTest, NonFiniteActionsThrowNamingTheEnv) {
  auto venv = Make(5, 2, 0);
  const size_t n = 5 * static_cast<size_t>(venv->spec().obs_dim);
  const std::vector<float> before(venv->obs(), venv->obs() + n);
  const float bad_values[] = {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                              -std::numeric_limits<float>::infinity()};
  for (int env : {3, 0, 4}) {
    for (float bad : bad_values) {
      std::vector<float> actions(5 * kA, 0.1f);
      actions[static_cast<size_t>(env * kA + 2)] = bad;
      try {
        venv->Step(actions.data());
        FAIL() << "expected std::invalid_argument for env " << env;
      } catch (const std::invalid_argument& e) {
        EXPECT_THAT(std::string(e.what()), HasSubstr("env " + std::to_string(env)));
        EXPECT_THAT(std::string(e.what()), HasSubstr("component 2"));
      }
    }
  }
  // Nothing was stepped.
  EXPECT_EQ(std::memcmp(venv->obs(), before.data(), n * sizeof(float)), 0);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(venv->elapsed_steps()[i], 0);
  std::vector<float> ok(5 * kA, 0.1f);
  venv->Step(ok.data());
  for (int i = 0; i < 5; ++i) EXPECT_EQ(venv->elapsed_steps()[i], 1);
}

void ExpectDivergedEnvIsReset(double bad_qvel) {
  constexpr int kEnvs = 4, kBad = 2;
  auto venv = Make(kEnvs, 2, 21);
  auto ref = Make(kEnvs, 2, 21);  // same batch, never disturbed
  const int od = venv->spec().obs_dim;
  Rng rng(5);
  for (int s = 0; s < 10; ++s) {
    const auto a = RandomActions(rng, kEnvs);
    venv->Step(a.data());
    ref->Step(a.data());
  }
  const std::vector<float> pre(ObsOf(*venv, venv->obs(), kBad), ObsOf(*venv, venv->obs(), kBad) + od);
  mjData* d = Task(*venv, kBad).data();
  d->qvel[Task(*venv, kBad).ids().dof_adr[1]] = bad_qvel;
  const auto a = RandomActions(rng, kEnvs);
  venv->Step(a.data());
  ref->Step(a.data());

  EXPECT_EQ(venv->diverged()[kBad], 1);
  EXPECT_EQ(venv->truncated()[kBad], 1);
  EXPECT_EQ(venv->terminated()[kBad], 0);
  EXPECT_EQ(venv->reward()[kBad], 0.0f);
  EXPECT_EQ(venv->elapsed_steps()[kBad], 0);
  EXPECT_EQ(venv->diverged_count(), 1);
  const float* obs = ObsOf(*venv, venv->obs(), kBad);
  for (int k = 0; k < od; ++k) ASSERT_TRUE(std::isfinite(obs[k])) << "obs " << k;
  EXPECT_TRUE(IsFreshResetObs(obs));
  // The last valid observation (before the diverging step) is kept as the final one.
  EXPECT_EQ(std::memcmp(ObsOf(*venv, venv->final_obs(), kBad), pre.data(), od * sizeof(float)), 0);
  // The other envs are untouched: bit-identical to the undisturbed batch.
  for (int i = 0; i < kEnvs; ++i) {
    if (i == kBad) continue;
    EXPECT_EQ(venv->diverged()[i], 0) << "env " << i;
    EXPECT_EQ(venv->truncated()[i], 0) << "env " << i;
    EXPECT_EQ(venv->elapsed_steps()[i], 11) << "env " << i;
    EXPECT_EQ(std::memcmp(ObsOf(*venv, venv->obs(), i), ObsOf(*ref, ref->obs(), i), od * sizeof(float)), 0)
        << "env " << i;
  }
  // Stepping goes on normally and the diverged flag clears.
  for (int s = 0; s < 3; ++s) {
    const auto b = RandomActions(rng, kEnvs);
    venv->Step(b.data());
    ref->Step(b.data());
  }
  EXPECT_EQ(venv->diverged()[kBad], 0);
  EXPECT_EQ(venv->elapsed_steps()[kBad], 3);
  EXPECT_EQ(venv->diverged_count(), 1);
  for (int i = 0; i < kEnvs; ++i) {
    if (i == kBad) continue;
    EXPECT_EQ(std::memcmp(ObsOf(*venv, venv->obs(), i), ObsOf(*ref, ref->obs(), i), od * sizeof(float)), 0)
        << "env " << i;
  }
}

TEST(VecEnvTest, NanVelocityDivergenceResetsOnlyThatEnv) {
  ExpectDivergedEnvIsReset(std::numeric_limits<double>::quiet_NaN());
}

TEST(VecEnvTest, HugeVelocityDivergenceResetsOnlyThatEnv) { ExpectDivergedEnvIsReset(1e12); }

TEST(VecEnvTest, DivergedEnvStaysInStepWhenTerminationsAreIgnored) {
  auto venv = Make(3, 1, 2, /*ignore_terminations=*/true);
  Rng rng(6);
  for (int s = 0; s < 20; ++s) venv->Step(RandomActions(rng, 3).data());
  Task(*venv, 0).data()->qvel[0] = std::numeric_limits<double>::quiet_NaN();
  venv->Step(RandomActions(rng, 3).data());
  EXPECT_EQ(venv->diverged()[0], 1);
  EXPECT_EQ(venv->truncated()[0], 1);
  EXPECT_EQ(venv->diverged_count(), 1);
  // The batch still ends its episodes together: the reset env keeps the shared step count.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(venv->elapsed_steps()[i], 21) << "env " << i;
  for (int s = 22; s <= 64; ++s) venv->Step(RandomActions(rng, 3).data());
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(venv->truncated()[i], 1) << "env " << i;
    EXPECT_EQ(venv->elapsed_steps()[i], 0) << "env " << i;
  }
}

}  // namespace
}  // namespace s2r::sim
