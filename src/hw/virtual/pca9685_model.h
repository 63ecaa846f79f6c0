// A PCA9685's register file as an I2C target sees it, for the virtual Jetbot: the first byte of a write
// sets the register pointer, further bytes are stored there, the pointer advances after each byte only
// while MODE1.AI is set; PRE_SCALE changes only while MODE1.SLEEP is set; ALL_LED_* (0xFA..0xFD) write every
// channel and read as 0; writing MODE1.RESTART clears it. Power-on values as the datasheet gives them
// (MODE1 0x11 asleep, MODE2 0x04, PRE_SCALE 0x1E, every LEDn full-off). Decodes the outputs into the
// motor values a board's drivers would see. Not thread-safe (the FUSE device serializes).
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "hw/jetbot_motors.h"

namespace s2r::hw {

// One PWM output: duty in [0, 1] (0 while the chip sleeps; full-off beats full-on).
struct PwmOutput {
  double duty = 0;
  int counts = 0;  // duty * 4096 (4096 when full on)
};

// One motor as its driver sees the outputs. value: jetbot's command scale, signed by the direction pins
// (duty counts / (255 * 16)), in [-1, 1]; duty: the signed PWM fraction (counts / 4096); released: both
// direction inputs low (the motor coasts).
struct MotorOutput {
  double value = 0;
  double duty = 0;
  bool released = true;
};

class Pca9685Model {
 public:
  Pca9685Model();
  void Write(std::span<const uint8_t> bytes);  // one write transaction at the chip's address
  void Read(std::span<uint8_t> bytes);         // one read transaction, from the register pointer

  uint8_t reg(int r) const { return regs_[static_cast<uint8_t>(r)]; }
  bool asleep() const;
  double pwm_hz() const;  // from PRE_SCALE
  PwmOutput Output(int channel) const;
  // motor 1..4; `board` says which pins drive it (jetbot_motors.h's pin maps).
  MotorOutput Motor(MotorBoard board, int motor) const;

 private:
  void Store(uint8_t r, uint8_t v);
  std::array<uint8_t, 256> regs_{};
  uint8_t pointer_ = 0;
};

}  // namespace s2r::hw
