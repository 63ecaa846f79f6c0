// Tests of src/core: the joint controller, the joint map, the random generator, the thread pool and atomic
// file writes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <mutex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/joint_controller.h"
#include "core/joint_map.h"
#include "core/progress.h"
#include "core/rng.h"
#include "core/so100_layout.h"
#include "core/thread_pool.h"

namespace s2r {
namespace {

using ::testing::HasSubstr;

constexpr int kJ = so100::kNumJoints;
constexpr double kEps = 1e-12;

// Expected per-step delta of joint j for an action of +1.
double MaxDelta(int j) { return j < so100::kNumArmJoints ? 0.05 : 0.2; }

std::array<float, kJ> Fill(float v) {
  std::array<float, kJ> a;
  a.fill(v);
  return a;
}

// ---------------------------------------------------------------------------------------------
// Joint controller

// Off a terminal (a log file), progress is plain lines at most every interval, and one at the end if any
// was written; a job shorter than the interval writes nothing.
TEST(ProgressBarTest, WritesPeriodicLinesWhenStderrIsNotATerminal) {
  const std::string path =
      (std::filesystem::temp_directory_path() / ("s2r_progress_" + std::to_string(::getpid()))).string();
  auto capture = [&](const std::function<void()>& body) {
    std::fflush(stderr);
    const int saved = ::dup(STDERR_FILENO);
    FILE* f = std::fopen(path.c_str(), "w");
    ::dup2(::fileno(f), STDERR_FILENO);
    body();
    std::fflush(stderr);
    ::dup2(saved, STDERR_FILENO);
    ::close(saved);
    std::fclose(f);
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  };
  const std::string every = capture([] {
    s2r::ProgressBar bar(10, "job", "steps", std::chrono::seconds(0));
    EXPECT_FALSE(bar.enabled());
    bar.Update(5, "half");
    bar.Finish("done");
  });
  EXPECT_NE(every.find("job: 5/10 steps (50%)"), std::string::npos) << every;
  EXPECT_NE(every.find("; half\n"), std::string::npos) << every;
  EXPECT_NE(every.find("job: 10/10 steps (100%)"), std::string::npos) << every;
  EXPECT_EQ(every.find('\r'), std::string::npos) << "no terminal redraws in a log";
  const std::string quiet = capture([] {
    s2r::ProgressBar bar(10, "job", "steps", std::chrono::hours(1));
    bar.Update(5);
    bar.Finish();
  });
  EXPECT_EQ(quiet, "");
  // A job that stopped early ends on the step it reached, not on its total (also when only destroyed).
  for (const bool destroy_only : {false, true}) {
    const std::string stopped = capture([&] {
      s2r::ProgressBar bar(10, "job", "steps", std::chrono::seconds(0));
      bar.Update(3);
      if (!destroy_only) bar.Stop("stopped");
    });
    EXPECT_EQ(stopped.find("10/10"), std::string::npos) << stopped;
    EXPECT_NE(stopped.rfind("job: 3/10 steps (30%)"), stopped.find("job: 3/10 steps (30%)")) << stopped;
  }
  std::filesystem::remove(path);
}

TEST(ControllerSpecTest, MatchesSo100Limits) {
  const JointControllerSpec spec = so100::ControllerSpec();
  ASSERT_EQ(spec.num_joints(), kJ);
  ASSERT_EQ(spec.delta_high.size(), static_cast<size_t>(kJ));
  ASSERT_EQ(spec.pos_low.size(), static_cast<size_t>(kJ));
  ASSERT_EQ(spec.pos_high.size(), static_cast<size_t>(kJ));
  for (int j = 0; j < kJ; ++j) {
    EXPECT_DOUBLE_EQ(spec.delta_low[j], -MaxDelta(j)) << "joint " << j;
    EXPECT_DOUBLE_EQ(spec.delta_high[j], MaxDelta(j)) << "joint " << j;
    EXPECT_DOUBLE_EQ(spec.pos_low[j], so100::kJointLow[j]) << "joint " << j;
    EXPECT_DOUBLE_EQ(spec.pos_high[j], so100::kJointHigh[j]) << "joint " << j;
  }
}

TEST(ApplyJointActionTest, TargetDeltaScalesUnitRangeToPerJointDelta) {
  const JointControllerSpec spec = so100::ControllerSpec();
  const double qpos[kJ] = {0, 0, 0, 0, 0, 0};
  for (float a : {1.0f, -1.0f, 0.5f, -0.25f, 0.0f}) {
    const auto action = Fill(a);
    double target[kJ] = {0, 0, 0, 0, 0, 0};
    ApplyJointAction(ControlMode::kJointTargetDeltaPos, spec, action.data(), qpos, target);
    for (int j = 0; j < kJ; ++j)
      EXPECT_NEAR(target[j], a * MaxDelta(j), kEps) << "action " << a << " joint " << j;
  }
}

TEST(ApplyJointActionTest, TargetDeltaAccumulatesOntoPreviousTargetNotQpos) {
  const JointControllerSpec spec = so100::ControllerSpec();
  // The measured qpos lags far behind the target; it must not matter.
  const double qpos[kJ] = {-1.0, 1.0, -1.0, 1.0, -1.0, 0.7};
  double target[kJ] = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6};
  const auto action = Fill(1.0f);
  for (int step = 1; step <= 3; ++step) {
    ApplyJointAction(ControlMode::kJointTargetDeltaPos, spec, action.data(), qpos, target);
    for (int j = 0; j < kJ; ++j)
      EXPECT_NEAR(target[j], 0.1 * (j + 1) + step * MaxDelta(j), 1e-9) << "step " << step << " joint " << j;
  }
}

TEST(ApplyJointActionTest, TargetDeltaClipsActionsOutsideUnitRange) {
  const JointControllerSpec spec = so100::ControllerSpec();
  const double qpos[kJ] = {};
  const std::array<float, kJ> action = {3.0f, -7.0f, 1.5f, -1.01f, 100.0f, -2.0f};
  double target[kJ] = {};
  ApplyJointAction(ControlMode::kJointTargetDeltaPos, spec, action.data(), qpos, target);
  for (int j = 0; j < kJ; ++j) {
    const double expected = (action[j] > 0 ? 1.0 : -1.0) * MaxDelta(j);
    EXPECT_NEAR(target[j], expected, kEps) << "joint " << j;
  }
}

TEST(ApplyJointActionTest, TargetDeltaDoesNotClipAccumulatedTargetToJointLimits) {
  const JointControllerSpec spec = so100::ControllerSpec();
  const double qpos[kJ] = {};
  double target[kJ];
  for (int j = 0; j < kJ; ++j) target[j] = so100::kJointHigh[j];
  const auto up = Fill(1.0f);
  for (int step = 0; step < 10; ++step)
    ApplyJointAction(ControlMode::kJointTargetDeltaPos, spec, up.data(), qpos, target);
  for (int j = 0; j < kJ; ++j) {
    EXPECT_GT(target[j], so100::kJointHigh[j]) << "joint " << j;
    EXPECT_NEAR(target[j], so100::kJointHigh[j] + 10 * MaxDelta(j), 1e-9) << "joint " << j;
  }
  // Same below the lower limit.
  for (int j = 0; j < kJ; ++j) target[j] = so100::kJointLow[j];
  const auto down = Fill(-1.0f);
  ApplyJointAction(ControlMode::kJointTargetDeltaPos, spec, down.data(), qpos, target);
  for (int j = 0; j < kJ; ++j) EXPECT_LT(target[j], so100::kJointLow[j]) << "joint " << j;
}

TEST(ApplyJointActionTest, DeltaPosAddsToMeasuredQpos) {
  const JointControllerSpec spec = so100::ControllerSpec();
  const double qpos[kJ] = {0.3, -0.4, 0.5, 1.2, -2.0, 0.1};
  double target[kJ] = {9, 9, 9, 9, 9, 9};  // previous targets are ignored
  const std::array<float, kJ> action = {1.0f, -1.0f, 0.5f, 0.0f, 5.0f, -0.5f};
  ApplyJointAction(ControlMode::kJointDeltaPos, spec, action.data(), qpos, target);
  const double unit[kJ] = {1.0, -1.0, 0.5, 0.0, 1.0, -0.5};  // action clipped to [-1, 1]
  for (int j = 0; j < kJ; ++j) EXPECT_NEAR(target[j], qpos[j] + unit[j] * MaxDelta(j), kEps) << "joint " << j;
}

TEST(ApplyJointActionTest, JointPosClipsToJointLimits) {
  const JointControllerSpec spec = so100::ControllerSpec();
  const double qpos[kJ] = {0.5, 0.5, 0.5, 0.5, 0.5, 0.5};
  double target[kJ] = {};
  const auto high = Fill(10.0f);
  ApplyJointAction(ControlMode::kJointPos, spec, high.data(), qpos, target);
  for (int j = 0; j < kJ; ++j) EXPECT_DOUBLE_EQ(target[j], so100::kJointHigh[j]) << "joint " << j;
  const auto low = Fill(-10.0f);
  ApplyJointAction(ControlMode::kJointPos, spec, low.data(), qpos, target);
  for (int j = 0; j < kJ; ++j) EXPECT_DOUBLE_EQ(target[j], so100::kJointLow[j]) << "joint " << j;
  // Inside the limits the action is the target, in radians (not scaled like the delta modes).
  const std::array<float, kJ> inside = {0.3f, -1.2f, 1.0f, -0.7f, 2.5f, 0.9f};
  ApplyJointAction(ControlMode::kJointPos, spec, inside.data(), qpos, target);
  for (int j = 0; j < kJ; ++j) EXPECT_DOUBLE_EQ(target[j], static_cast<double>(inside[j])) << "joint " << j;
}

// The observation and reset draw the sim and the real arm share (core/so100_layout).
TEST(So100SharedTest, ProprioObsIsQposTargetsAndArmTargetsFromRest) {
  namespace o = so100::obs;
  const double q[6] = {0.1, -0.2, 0.3, 1.4, 1.5, 0.6};
  const double t[6] = {0.2, -0.1, 0.25, 1.6, 1.2, -0.3};
  std::vector<float> obs(o::kRgbStateDim, -99.0f);
  so100::WriteProprioObs(q, t, obs.data());
  for (int j = 0; j < 6; ++j) {
    EXPECT_FLOAT_EQ(obs[o::kQpos + j], static_cast<float>(q[j]));
    EXPECT_FLOAT_EQ(obs[o::kTargetQpos + j], static_cast<float>(t[j]));
  }
  for (int j = 0; j < 5; ++j)  // the gripper's target is not part of the distance to rest
    EXPECT_FLOAT_EQ(obs[o::kDistToRest + j], static_cast<float>(t[j] - so100::kRestQpos[j]));
}

TEST(So100SharedTest, ResetDrawStaysInItsBoxAndIsReproducible) {
  so100::ResetDistribution d;
  d.qpos_noise = 0.02, d.spawn_center = {0.3, 0.05}, d.spawn_half_size = 0.1;
  Rng a = Rng::ForStream(7, 0), b = Rng::ForStream(7, 0);
  double max_dev = 0;
  for (int i = 0; i < 500; ++i) {
    const so100::ResetDraw r = so100::DrawReset(a, d), s = so100::DrawReset(b, d);
    EXPECT_EQ(r.qpos, s.qpos);
    EXPECT_EQ(r.cube_x, s.cube_x);
    EXPECT_GE(r.cube_x, 0.2);
    EXPECT_LT(r.cube_x, 0.4);
    EXPECT_GE(r.cube_y, -0.05);
    EXPECT_LT(r.cube_y, 0.15);
    EXPECT_GE(r.cube_yaw, -so100::kPi);
    EXPECT_LT(r.cube_yaw, so100::kPi);
    for (int j = 0; j < 6; ++j) max_dev = std::max(max_dev, std::abs(r.qpos[j] - so100::kRestQpos[j]));
  }
  EXPECT_GT(max_dev, 0.03);  // the noise is there (std 0.02 over 3000 draws) ...
  EXPECT_LT(max_dev, 0.12);  // ... and of that size
  d.qpos_noise = 0;
  EXPECT_EQ(so100::DrawReset(a, d).qpos, so100::kRestQpos);
}

TEST(ControlModeTest, ParsesAllNamesAndRoundTrips) {
  for (ControlMode m :
       {ControlMode::kJointTargetDeltaPos, ControlMode::kJointDeltaPos, ControlMode::kJointPos})
    EXPECT_EQ(ParseControlMode(ControlModeName(m), "--control-mode"), m);
  EXPECT_EQ(ControlModeName(ControlMode::kJointTargetDeltaPos), "pd_joint_target_delta_pos");
  EXPECT_EQ(ControlModeName(ControlMode::kJointDeltaPos), "pd_joint_delta_pos");
  EXPECT_EQ(ControlModeName(ControlMode::kJointPos), "pd_joint_pos");
}

TEST(ControlModeTest, UnknownModeNamesFlagValueAndExpectedValues) {
  try {
    ParseControlMode("pd_ee_delta_pose", "--control-mode");
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    EXPECT_THAT(msg, HasSubstr("--control-mode"));
    EXPECT_THAT(msg, HasSubstr("pd_ee_delta_pose"));
    EXPECT_THAT(msg, HasSubstr("pd_joint_target_delta_pos"));
    EXPECT_THAT(msg, HasSubstr("pd_joint_delta_pos"));
    EXPECT_THAT(msg, HasSubstr("pd_joint_pos"));
  }
  // Names are exact (no case folding or trimming).
  EXPECT_THROW(ParseControlMode("PD_JOINT_POS", "key 'control_mode'"), ConfigError);
  EXPECT_THROW(ParseControlMode("", "key 'control_mode'"), ConfigError);
}

// ---------------------------------------------------------------------------------------------
// Joint map

JointMap TestMap() {
  JointMap m;
  m.joints = {{"shoulder_pan", 1.0, 0.0}, {"shoulder_lift", -1.0, 10.0}, {"elbow_flex", 1.0, 6.8},
              {"wrist_flex", -1.0, -3.5}, {"wrist_roll", 1.0, 0.0},      {"gripper", 1.0, 0.0}};
  return m;
}

std::vector<std::string> So100Names() { return {so100::kJointNames.begin(), so100::kJointNames.end()}; }

TEST(JointMapTest, AppliesSignAndOffset) {
  const JointMap m = TestMap();
  EXPECT_DOUBLE_EQ(m.ToDegrees(0, so100::kPi / 2), 90.0);
  EXPECT_DOUBLE_EQ(m.ToDegrees(2, 0.0), 6.8);  // elbow offset: 6.8 deg at sim radian 0
  EXPECT_NEAR(m.ToDegrees(2, so100::kPi / 2), 96.8, 1e-9);
  EXPECT_NEAR(m.ToDegrees(1, so100::kPi / 4), -45.0 + 10.0, 1e-9);  // sign -1
  EXPECT_NEAR(m.ToDegrees(3, -so100::kPi), 180.0 - 3.5, 1e-9);
  EXPECT_NEAR(m.ToRadians(2, 6.8), 0.0, 1e-12);
  EXPECT_NEAR(m.ToRadians(1, 10.0 - 90.0), so100::kPi / 2, 1e-12);
}

TEST(JointMapTest, RoundTripsEveryJoint) {
  const JointMap m = TestMap();
  for (int j = 0; j < kJ; ++j) {
    for (double rad = -3.0; rad <= 3.0; rad += 0.37) {
      EXPECT_NEAR(m.ToRadians(j, m.ToDegrees(j, rad)), rad, 1e-12) << "joint " << j;
      const double deg = rad * 50.0;
      EXPECT_NEAR(m.ToDegrees(j, m.ToRadians(j, deg)), deg, 1e-10) << "joint " << j;
    }
  }
}

TEST(JointMapTest, OutOfRangeJointThrows) {
  const JointMap m = TestMap();
  EXPECT_THROW(m.ToDegrees(kJ, 0.0), std::out_of_range);
  EXPECT_THROW(m.ToRadians(-1, 0.0), std::out_of_range);
}

TEST(JointMapTest, ValidateAcceptsMatchingNames) {
  EXPECT_NO_THROW(TestMap().Validate(So100Names(), "so100.json"));
}

TEST(JointMapTest, ValidateRejectsWrongCount) {
  JointMap m = TestMap();
  m.joints.pop_back();
  try {
    m.Validate(So100Names(), "robots/so100.json");
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    EXPECT_THAT(msg, HasSubstr("robots/so100.json"));
    EXPECT_THAT(msg, HasSubstr("joint_map"));
    EXPECT_THAT(msg, HasSubstr("5 joints"));
    EXPECT_THAT(msg, HasSubstr("expected 6"));
  }
}

TEST(JointMapTest, ValidateRejectsWrongNameAtItsIndex) {
  JointMap m = TestMap();
  std::swap(m.joints[2].name, m.joints[3].name);
  try {
    m.Validate(So100Names(), "my.json");
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    EXPECT_THAT(msg, HasSubstr("my.json"));
    EXPECT_THAT(msg, HasSubstr("joint_map[2].name"));
    EXPECT_THAT(msg, HasSubstr("'wrist_flex'"));
    EXPECT_THAT(msg, HasSubstr("'elbow_flex'"));
  }
}

TEST(JointMapTest, ValidateRejectsSignOtherThanPlusMinusOne) {
  for (double bad : {0.0, 0.5, 2.0, -1.5}) {
    JointMap m = TestMap();
    m.joints[4].sign = bad;
    try {
      m.Validate(So100Names(), "my.json");
      FAIL() << "expected ConfigError for sign " << bad;
    } catch (const ConfigError& e) {
      EXPECT_THAT(std::string(e.what()), HasSubstr("joint_map[4].sign")) << "sign " << bad;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Rng

TEST(RngTest, SameSeedSameStream) {
  Rng a(42), b(42);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(a.NextU64(), b.NextU64()) << "draw " << i;
  for (int i = 0; i < 100; ++i) ASSERT_EQ(a.Normal(), b.Normal()) << "normal " << i;
}

TEST(RngTest, DifferentSeedsDiffer) {
  Rng a(1), b(2);
  int equal = 0;
  for (int i = 0; i < 100; ++i) equal += a.NextU64() == b.NextU64();
  EXPECT_EQ(equal, 0);
}

TEST(RngTest, SeedRestartsTheStreamAndDropsTheCachedNormal) {
  Rng fresh(7);
  const double first = fresh.Normal();
  Rng r(99);
  r.Normal();  // leaves a cached spare normal behind
  r.Seed(7);
  EXPECT_EQ(r.Normal(), first);
}

TEST(RngTest, ForStreamIsReproducibleAndStreamsDiffer) {
  Rng a = Rng::ForStream(5, 0), a2 = Rng::ForStream(5, 0);
  Rng b = Rng::ForStream(5, 1), c = Rng::ForStream(6, 0);
  int ab = 0, ac = 0;
  for (int i = 0; i < 100; ++i) {
    const uint64_t x = a.NextU64();
    ASSERT_EQ(x, a2.NextU64());
    ab += x == b.NextU64();
    ac += x == c.NextU64();
  }
  EXPECT_EQ(ab, 0);
  EXPECT_EQ(ac, 0);
  // Streams of neighbouring envs must not be shifted copies of each other.
  std::set<uint64_t> firsts;
  for (uint64_t s = 0; s < 64; ++s) firsts.insert(Rng::ForStream(3, s).NextU64());
  EXPECT_EQ(firsts.size(), 64u);
}

TEST(RngTest, UniformStaysInRange) {
  Rng r(11);
  double sum = 0;
  constexpr int kN = 100000;
  for (int i = 0; i < kN; ++i) {
    const double u = r.Uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    const double v = r.Uniform(-0.3, 0.7);
    ASSERT_GE(v, -0.3);
    ASSERT_LT(v, 0.7);
    sum += v;
  }
  EXPECT_NEAR(sum / kN, 0.2, 0.01);
}

TEST(RngTest, NormalHasRequestedMeanAndStd) {
  Rng r(123);
  constexpr int kN = 200000;
  double s = 0, s2 = 0;
  for (int i = 0; i < kN; ++i) {
    const double x = r.Normal();
    ASSERT_TRUE(std::isfinite(x));
    s += x;
    s2 += x * x;
  }
  const double mean = s / kN, var = s2 / kN - mean * mean;
  EXPECT_NEAR(mean, 0.0, 0.01);
  EXPECT_NEAR(std::sqrt(var), 1.0, 0.01);

  s = s2 = 0;
  for (int i = 0; i < kN; ++i) {
    const double x = r.Normal(0.3, 0.05);
    s += x;
    s2 += x * x;
  }
  const double m2 = s / kN;
  EXPECT_NEAR(m2, 0.3, 0.001);
  EXPECT_NEAR(std::sqrt(s2 / kN - m2 * m2), 0.05, 0.001);
}

// ---------------------------------------------------------------------------------------------
// ThreadPool

TEST(ThreadPoolTest, ParallelForCoversRangeExactlyOnce) {
  for (int threads : {1, 2, 3, 4, 8}) {
    ThreadPool pool(threads);
    EXPECT_EQ(pool.num_threads(), threads);
    for (int n : {0, 1, 2, 3, 5, 7, 8, 100, 1001}) {
      std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
      std::atomic<int> calls{0};
      pool.ParallelFor(n, [&](int b, int e) {
        ASSERT_LE(0, b);
        ASSERT_LT(b, e);
        ASSERT_LE(e, n);
        calls.fetch_add(1);
        for (int i = b; i < e; ++i) hits[static_cast<size_t>(i)].fetch_add(1);
      });
      for (int i = 0; i < n; ++i)
        ASSERT_EQ(hits[static_cast<size_t>(i)].load(), 1)
            << "threads " << threads << " n " << n << " i " << i;
      EXPECT_LE(calls.load(), std::min(threads, std::max(n, 0))) << "threads " << threads << " n " << n;
    }
  }
}

TEST(ThreadPoolTest, ChunksRunOnDistinctThreadsAndPoolIsReusable) {
  ThreadPool pool(4);
  for (int round = 0; round < 200; ++round) {
    std::mutex mu;
    std::set<std::thread::id> ids;
    std::atomic<long> sum{0};
    pool.ParallelFor(40, [&](int b, int e) {
      {
        std::lock_guard<std::mutex> lock(mu);
        ids.insert(std::this_thread::get_id());
      }
      for (int i = b; i < e; ++i) sum.fetch_add(i);
    });
    ASSERT_EQ(sum.load(), 40 * 39 / 2) << "round " << round;
    ASSERT_EQ(ids.size(), 4u) << "round " << round;
  }
}

TEST(ThreadPoolTest, SingleThreadRunsInlineOnCaller) {
  ThreadPool pool(1);
  std::vector<std::thread::id> ids;
  pool.ParallelFor(10, [&](int b, int e) {
    EXPECT_EQ(b, 0);
    EXPECT_EQ(e, 10);
    ids.push_back(std::this_thread::get_id());
  });
  ASSERT_EQ(ids.size(), 1u);
  EXPECT_EQ(ids[0], std::this_thread::get_id());
  // Non-positive thread counts mean the caller alone.
  EXPECT_EQ(ThreadPool(0).num_threads(), 1);
  EXPECT_EQ(ThreadPool(-3).num_threads(), 1);
}

TEST(ThreadPoolTest, RethrowsWorkerExceptionAfterAllChunksFinish) {
  for (int threads : {1, 2, 3}) {
    ThreadPool pool(threads);
    constexpr int kN = 90;
    std::vector<std::atomic<int>> hits(kN);
    try {
      pool.ParallelFor(kN, [&](int b, int e) {
        for (int i = b; i < e; ++i) {
          hits[static_cast<size_t>(i)].fetch_add(1);
          if (i == kN - 1) throw std::runtime_error("boom at the last index");
        }
      });
      FAIL() << "expected the worker's exception, threads " << threads;
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(), "boom at the last index");
    }
    // Every other chunk still ran to completion before the rethrow.
    for (int i = 0; i < kN; ++i)
      EXPECT_EQ(hits[static_cast<size_t>(i)].load(), 1) << "threads " << threads << " i " << i;
    // The pool keeps working after an error (and the old error is not rethrown).
    std::atomic<int> count{0};
    EXPECT_NO_THROW(pool.ParallelFor(kN, [&](int b, int e) { count.fetch_add(e - b); }));
    EXPECT_EQ(count.load(), kN);
  }
}

// ------------------------------------------------------------------ atomic file writes

std::string ReadAll(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(AtomicFileTest, ReplacesContentKeepsPermissionsAndLeavesNoTemporaryFile) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("s2r_atomic_" + std::to_string(getpid()));
  fs::create_directories(dir);
  const fs::path file = dir / "out.csv";
  WriteFileAtomic(file.string(), std::string("a,b\n1,2\n"));
  EXPECT_EQ(ReadAll(file), "a,b\n1,2\n");
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u) << "a new file is 0644";
  ASSERT_EQ(::chmod(file.c_str(), 0600), 0);
  const std::string binary("\0\x01\xff", 3);
  WriteFileAtomic(file.string(), binary);
  EXPECT_EQ(ReadAll(file), binary);
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u) << "a replaced file keeps its permissions";
  int entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++entries;
  EXPECT_EQ(entries, 1) << "no temporary file left behind";
  fs::remove_all(dir);
}

TEST(AtomicFileTest, MissingFolderIsAnIoErrorNamingThePath) {
  const std::string path = "/nonexistent_s2r_dir/sub/out.csv";
  try {
    WriteFileAtomic(path, "x");
    FAIL() << "expected IoError";
  } catch (const IoError& e) {
    EXPECT_THAT(e.what(), HasSubstr("cannot write '" + path + "'"));
    EXPECT_THAT(e.what(), HasSubstr("No such file or directory"));
  }
  try {
    WriteFileAtomic(path, "x", "calibration file 'c.json'");
    FAIL() << "expected IoError";
  } catch (const IoError& e) {
    EXPECT_THAT(e.what(), HasSubstr("calibration file 'c.json': cannot create a temporary file"));
  }
}

}  // namespace
}  // namespace s2r
