// The real Jetbot's control loop (deploy/jetbot_real_loop.h) on a clock the test controls: what the policy
// is given (the frame preprocessed as the sim's rgb observation, the last clamped action as the state),
// what reaches the motors (clamped, times --max-duty), the fixed-rate schedule and its overruns, the frame
// age and frame -> PWM latency, Ctrl+C, a policy gone wrong, the flags' ranges and the MP4 of the policy's
// view. No MuJoCo, no torch: it is built in the deploy-only configuration too.
#include "deploy/jetbot_real_loop.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cmath>
#include <filesystem>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "camera/camera.h"
#include "core/error.h"
#include "core/stats.h"
#include "media/image.h"

namespace s2r::deploy {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// A 40x30 RGB frame whose channels differ (R rises along x, G along y, B constant), so a swapped channel
// order or a wrong crop shows.
media::Image TestFrame(int w = 40, int h = 30) {
  media::Image im(w, h, 3);
  for (int r = 0; r < h; ++r)
    for (int c = 0; c < w; ++c) {
      uint8_t* p = im.at(r, c);
      p[0] = static_cast<uint8_t>(6 * c), p[1] = static_cast<uint8_t>(8 * r), p[2] = 200;
    }
  return im;
}

// The loop's world on a simulated clock: reading a frame, acting and writing take the times set here;
// sleep_until moves the clock. Records what the policy and the motors were given.
struct FakeRobot {
  double t = 100.0;            // s
  double frame_age_s = 0.020;  // the frame handed out was captured this long before
  double read_s = 0.001, write_s = 0.003;
  std::vector<double> act_s;                                     // per step (the last value repeats)
  std::vector<std::array<float, 2>> actions = {{0.5f, -0.25f}};  // per step (the last repeats)
  media::Image frame = TestFrame();
  uint64_t sequence = 0;
  int repeat_frame_every = 0;  // > 0: every n-th read returns the previous frame again
  int stop_after = -1;         // steps after which stop_requested() turns true

  std::vector<std::array<float, 2>> states;
  std::vector<media::Image> images;
  std::vector<std::pair<double, double>> motors;
  int reads = 0;

  JetbotLoopIo Io(int width, int height) {
    JetbotLoopIo io;
    io.now = [this] { return t; };
    io.sleep_until = [this](double until) { t = std::max(t, until); };
    io.read_frame = [this] {
      ++reads;
      if (!(repeat_frame_every > 0 && reads % repeat_frame_every == 0)) ++sequence;
      camera::Frame f;
      f.image = frame;
      f.timestamp_s = t - frame_age_s;
      f.sequence = sequence;
      t += read_s;
      return f;
    };
    io.act = [this, width, height](const float* state, const uint8_t* image, float* action) {
      const size_t k = states.size();
      states.push_back({state[0], state[1]});
      media::Image im(width, height, 3);
      std::copy(image, image + im.pixels.size(), im.pixels.begin());
      images.push_back(std::move(im));
      const auto& a = actions[std::min(k, actions.size() - 1)];
      action[0] = a[0], action[1] = a[1];
      t += act_s.empty() ? 0.010 : act_s[std::min(k, act_s.size() - 1)];
    };
    io.set_motors = [this](double l, double r) {
      motors.emplace_back(l, r);
      t += write_s;
    };
    io.stop_requested = [this] { return stop_after >= 0 && static_cast<int>(motors.size()) >= stop_after; };
    return io;
  }
};

JetbotLoopOptions Options(double seconds = 1.0) {
  JetbotLoopOptions o;
  o.image_width = 16, o.image_height = 16;
  o.control_freq = 30;
  o.max_duty = 0.1;
  o.seconds = seconds;
  return o;
}

TEST(JetbotRealLoop, ThePolicySeesTheSimsObservationAndTheMotorsGetTheClampedActionTimesMaxDuty) {
  FakeRobot bot;
  bot.actions = {{2.0f, -0.5f}, {-3.0f, 0.25f}, {0.0f, 1.0f}};
  JetbotLoopOptions o = Options(0);
  bot.stop_after = 3;
  const JetbotLoopResult r = RunJetbotLoop(o, bot.Io(16, 16));
  ASSERT_EQ(r.steps, 3);
  EXPECT_TRUE(r.interrupted);
  // The image: camera::PreprocessObservation of the RGB frame (centre square, bilinear to 16x16), uint8.
  const media::Image want = camera::PreprocessObservation(bot.frame, 16, 16);
  ASSERT_EQ(bot.images.size(), 3u);
  EXPECT_EQ(bot.images[0].pixels, want.pixels);
  EXPECT_GT(want.at(8, 15)[0], want.at(8, 0)[0]);  // R rises along x: channel 0 is still red
  EXPECT_EQ(want.at(8, 8)[2], 200);                // B constant
  // The state: the last action as the policy gave it, clamped (the sim's last_action_), 0 at first.
  using A = std::array<float, 2>;
  EXPECT_EQ(bot.states[0], (A{0.0f, 0.0f}));
  EXPECT_EQ(bot.states[1], (A{1.0f, -0.5f}));
  EXPECT_EQ(bot.states[2], (A{-1.0f, 0.25f}));
  // The motors: clamped action * max_duty.
  ASSERT_EQ(bot.motors.size(), 3u);
  EXPECT_DOUBLE_EQ(bot.motors[0].first, 0.1);
  EXPECT_DOUBLE_EQ(bot.motors[0].second, -0.05);
  EXPECT_DOUBLE_EQ(bot.motors[1].first, -0.1);
  EXPECT_DOUBLE_EQ(bot.motors[1].second, 0.025);
  EXPECT_DOUBLE_EQ(bot.motors[2].second, 0.1);
  EXPECT_DOUBLE_EQ(r.max_abs_value, 0.1);
}

TEST(JetbotRealLoop, HoldsTheRateOnTheTestsClockAndCountsOverruns) {
  FakeRobot bot;
  // 14 ms per step: within the 33.3 ms period.
  JetbotLoopResult r = RunJetbotLoop(Options(1.0), bot.Io(16, 16));
  EXPECT_EQ(r.steps, 30);
  EXPECT_EQ(r.overruns, 0);
  EXPECT_NEAR(r.seconds, 1.0, 1e-9);
  EXPECT_NEAR(r.loop_hz, 30.0, 1e-6);
  EXPECT_FALSE(r.interrupted);
  // Steps 3 and 4 take 49 ms (an overrun each; the schedule restarts after them, no catch-up burst).
  FakeRobot slow;
  slow.act_s = {0.01, 0.01, 0.045, 0.045, 0.01};
  r = RunJetbotLoop(Options(1.0), slow.Io(16, 16));
  EXPECT_EQ(r.overruns, 2);
  // Two periods, two 49 ms steps (to 0.1647 s), then one step per period from there while one starts
  // within the second: 2 + 2 + 26 = 30 steps over 0.1647 + 26 / 30 = 1.031 s.
  EXPECT_EQ(r.steps, 30);
  EXPECT_NEAR(r.seconds, 2.0 / 30 + 0.098 + 26.0 / 30, 1e-9);
  EXPECT_LT(r.loop_hz, 29.2);
}

TEST(JetbotRealLoop, ReportsFrameAgeAndFrameToPwmLatency) {
  FakeRobot bot;
  bot.frame_age_s = 0.020;
  bot.read_s = 0.001;  // the frame is received 1 ms after the read begins
  bot.act_s = {0.007};
  bot.write_s = 0.003;         // latency = act + write = 10 ms
  bot.repeat_frame_every = 3;  // every third read: the same frame again
  const JetbotLoopResult r = RunJetbotLoop(Options(1.0), bot.Io(16, 16));
  EXPECT_NEAR(r.frame_age_median_ms, 21.0, 1e-6);  // captured 20 ms before the read, received 1 ms in
  EXPECT_NEAR(r.frame_age_max_ms, 21.0, 1e-6);
  EXPECT_NEAR(r.latency_median_ms, 10.0, 1e-6);
  EXPECT_NEAR(r.latency_p95_ms, 10.0, 1e-6);
  EXPECT_EQ(r.new_frames, 20);  // 30 steps, every third a repeat
}

TEST(JetbotRealLoop, StopsOnCtrlCBetweenSteps) {
  FakeRobot bot;
  bot.stop_after = 5;
  const JetbotLoopResult r = RunJetbotLoop(Options(0), bot.Io(16, 16));  // 0: until stopped
  EXPECT_TRUE(r.interrupted);
  EXPECT_EQ(r.steps, 5);
  EXPECT_EQ(bot.motors.size(), 5u);
}

TEST(JetbotRealLoop, ANonFiniteActionIsAnErrorAndNeverReachesTheMotors) {
  FakeRobot bot;
  bot.actions = {{0.5f, 0.5f}, {std::numeric_limits<float>::quiet_NaN(), 0.0f}};
  try {
    RunJetbotLoop(Options(1.0), bot.Io(16, 16));
    FAIL() << "no error";
  } catch (const IoError& e) {
    EXPECT_THAT(e.what(), HasSubstr("non-finite"));
  }
  ASSERT_EQ(bot.motors.size(), 1u);  // only the first step's
}

TEST(JetbotRealLoop, FlagsOutOfRangeAreRefusedNamingThem) {
  FakeRobot bot;
  // Options() with one field changed.
  auto with = [](auto field, double value) {
    JetbotLoopOptions o = Options();
    o.*field = value;
    return o;
  };
  const std::pair<JetbotLoopOptions, std::string> cases[] = {
      {with(&JetbotLoopOptions::max_duty, 0), "--max-duty"},
      {with(&JetbotLoopOptions::max_duty, 1.5), "--max-duty"},
      {with(&JetbotLoopOptions::max_duty, NAN), "--max-duty"},
      {with(&JetbotLoopOptions::control_freq, 0), "--control-freq"},
      {with(&JetbotLoopOptions::seconds, -1), "--seconds"},
  };
  for (const auto& [o, flag] : cases) {
    try {
      RunJetbotLoop(o, bot.Io(16, 16));
      ADD_FAILURE() << flag << ": accepted";
    } catch (const ConfigError& e) {
      EXPECT_THAT(e.what(), HasSubstr(flag));
    }
  }
  EXPECT_TRUE(bot.motors.empty());
  JetbotLoopOptions full = Options();
  full.max_duty = 1.0;  // the sim's own scale is allowed
  EXPECT_NO_THROW(full.Validate());
}

TEST(Stats, PercentileInterpolatesBetweenRanksAsNumpy) {
  const std::vector<double> v = {4, 1, 3, 2};  // sorted: 1 2 3 4
  EXPECT_DOUBLE_EQ(Percentile(v, 0), 1.0);
  EXPECT_DOUBLE_EQ(Percentile(v, 100), 4.0);
  EXPECT_DOUBLE_EQ(Percentile(v, 50), Median(v));
  EXPECT_DOUBLE_EQ(Percentile(v, 95), 3.85);  // numpy.percentile([1, 2, 3, 4], 95)
  EXPECT_DOUBLE_EQ(Percentile({7}, 95), 7.0);
  EXPECT_TRUE(std::isnan(Percentile({}, 50)));
}

TEST(JetbotRealLoop, RecordsTheImagesThePolicySaw) {
  const fs::path dir = fs::temp_directory_path() / ("s2r_jetbot_loop_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  FakeRobot bot;
  JetbotLoopOptions o = Options(0.5);
  o.record_path = (dir / "run.mp4").string();
  const JetbotLoopResult r = RunJetbotLoop(o, bot.Io(16, 16));
  EXPECT_EQ(r.video, o.record_path);
  EXPECT_EQ(r.steps, 15);
  EXPECT_GT(fs::file_size(o.record_path), 200u);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace s2r::deploy
