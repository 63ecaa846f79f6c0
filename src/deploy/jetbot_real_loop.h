// The real Jetbot's control loop (`sim2real eval --real --robot jetbot`), with neither MuJoCo nor torch, so
// the deploy-only build runs it on the robot. Each step, at control_freq:
//   1. the newest camera frame (camera::Camera delivers RGB: OpenCV's BGR is converted there, which the
//      seed's loop forgot);
//   2. exactly the sim's rgb observation (sim/jetbot_env.h): the image [H, W, 3] uint8 RGB at the policy's
//      size through camera::PreprocessObservation (the SO-100's: centre crop to a square, bilinear resize;
//      a no-op crop for the CSI pipeline, which delivers the policy's square size already),
//      left as uint8 (the network divides by 255 itself; the seed fed 0..255 floats to a net trained on
//      /255), and the state [2] = the last action (the policy's clamped output, as JetbotEnv::WriteObs
//      writes last_action_), zeros at the first step;
//   3. the policy (deterministic unless asked), its action [2] checked finite and clamped to [-1, 1];
//   4. set_motors(left, right) = action * max_duty (the seed capped the real robot at 0.1; the sim's action
//      is the duty itself, so max_duty 1 is the sim's scale).
// Timing: a fixed-rate schedule; a step that ends after its period is an overrun and the next one starts
// at once (no burst of catch-up steps). Reported: steps, seconds, achieved Hz, overruns, the frame age when
// it was received (now - capture time, ms) and the latency from receiving a frame to the PWM write
// returning (ms). Every clock and device is injected (JetbotLoopIo), so tests drive it on their own clock.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "camera/camera.h"

namespace s2r::deploy {

struct JetbotLoopOptions {
  int image_width = 224, image_height = 224;  // pixels, the policy's image input
  double control_freq = 30;                   // Hz (the sim's policy rate, kJetbotControlFreq)
  double max_duty = 0.1;                      // set_motors value = action * max_duty; in (0, 1]
  double seconds = 0;                         // s of running; 0: until stop_requested()
  std::string record_path;                    // MP4 of the images the policy saw; empty: none
  // Throws ConfigError naming the flag (--max-duty, --control-freq, --seconds, --record-dir).
  void Validate() const;
};

// The devices and clocks the loop uses.
struct JetbotLoopIo {
  std::function<camera::Frame()> read_frame;  // the newest frame, [h, w, 3] uint8 RGB, any size
  // state [2] float32 (the last action), image [H, W, 3] uint8 RGB -> action [2] (unclamped).
  std::function<void(const float* state, const uint8_t* image, float* action)> act;
  std::function<void(double left, double right)> set_motors;  // values in [-max_duty, max_duty]
  std::function<double()> now;                                // s, the frames' clock (camera::NowSeconds)
  std::function<void(double until_s)> sleep_until;            // on the same clock
  std::function<bool()> stop_requested;                       // Ctrl+C; may be empty
};

// Summary statistics of one run (NaN where no step ran).
struct JetbotLoopResult {
  int steps = 0;
  double seconds = 0;  // s, from the first step's start to the last step's end (its sleep included)
  double loop_hz = 0;  // steps / seconds
  int overruns = 0;    // steps that took longer than the period
  int new_frames = 0;  // steps whose frame had not been seen before (by sequence)
  double frame_age_median_ms = 0, frame_age_max_ms = 0;  // receipt time - capture time
  double latency_median_ms = 0, latency_p95_ms = 0;      // frame received -> set_motors returned
  double max_abs_value = 0;                              // the largest |set_motors value| sent
  bool interrupted = false;                              // ended by stop_requested()
  std::string video;                                     // record_path when written
};

// Runs until options.seconds have passed or io.stop_requested(). Exceptions (camera, policy, motors)
// propagate: the caller's motor object releases the motors (RAII). A non-finite action is an IoError.
JetbotLoopResult RunJetbotLoop(const JetbotLoopOptions& options, const JetbotLoopIo& io);

}  // namespace s2r::deploy
