// `sim2real virtual-robot --robot jetbot` (full build): a stand-in for the real Jetbot. Its motor board is
// a PCA9685 at --address behind a FUSE file at --i2c-link that any i2c-dev client opens as /dev/i2c-N
// (hw/virtual/pca9685_fuse.h: the chip's real register semantics, EIO at other addresses); the outputs are
// decoded per --board's pin map into jetbot's set_motors values (left = MotorHAT motor 1, right = motor 2,
// direction included) and drive the wheels of the MuJoCo twin (deploy/jetbot_twin.h) in real time, on the
// wall clock, every 5 ms. With --camera-link the twin's chassis camera is served on a frame socket
// (`virtual:PATH`, --camera-width x --camera-height, rendered on request up to 30 Hz, no randomization).
// At exit (--duration, Ctrl+C or SIGTERM) it prints the chassis odometry relative to its start and the
// distance travelled (--json: one object).
#pragma once

#include <cstdint>
#include <string>

namespace s2r::app {

struct VirtualJetbotFlags {
  std::string i2c_link;                         // required: the FUSE file that acts as /dev/i2c-N
  std::string camera_link;                      // frame socket; empty: no camera
  int camera_width = 224, camera_height = 224;  // pixels (the Jetbot's CSI pipeline delivers 224x224)
  std::string board = "adafruit";               // adafruit | waveshare: which pins drive the motors
  std::string address = "0x60";                 // the virtual PCA9685's 7-bit address
  std::string env_kwargs_json_path;             // JetbotGoal-v0 env_config.json of the scene; empty: built-in
  double duration = 0;                          // s; 0: until Ctrl+C / SIGTERM
  uint64_t seed = 0;
  bool json = false;
};

void RunVirtualJetbot(const VirtualJetbotFlags& flags);

}  // namespace s2r::app
