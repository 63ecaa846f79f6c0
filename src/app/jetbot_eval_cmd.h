// `sim2real eval --real --robot jetbot`: an rgb policy of a Jetbot task (Isaac-Jetbot-Direct-v0,
// JetbotGoal-v0) on the real Jetbot: its camera (csi, gst:PIPELINE, virtual:PATH, a V4L2 index) ->
// deploy::RunJetbotLoop (the sim's preprocessing, the policy, action * --max-duty) -> the wheel motors on
// the PCA9685 over i2c-dev (hw::JetbotMotors, with its watchdog). Every flag is checked before the bus is
// opened; the motors are released on every exit path (end of --seconds, Ctrl+C -> exit 130, any error).
// No MuJoCo, no torch (a .pt runs only in the full build).
#pragma once

#include <cstdint>
#include <string>

namespace s2r::app {

struct JetbotEvalFlags {
  std::string checkpoint;          // .onnx (or .pt in the full build)
  std::string env_id;              // --env-id when given: must be the checkpoint's; empty: the checkpoint's
  std::string i2c = "/dev/i2c-1";  // the motor board's i2c-dev device
  std::string address = "0x60";    // the PCA9685's 7-bit address, as typed
  std::string board = "adafruit";  // adafruit | waveshare
  std::string camera = "csi";      // camera SPEC (camera/open_camera.h)
  double max_duty = 0.1;           // set_motors value = clamped action * max_duty; (0, 1]
  double control_freq = 30;        // Hz
  double seconds = 0;              // s; 0: until Ctrl+C
  std::string record_dir;          // MP4 of the policy's images; empty: none
  bool sample_actions = false;
  uint64_t seed = 1;
  bool json = false;
};

// Returns the process exit code: 0, or 130 after Ctrl+C/SIGTERM (the motors released either way).
int RunJetbotEvalCommand(const JetbotEvalFlags& flags);

}  // namespace s2r::app
