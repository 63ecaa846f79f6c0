// The NXP PCA9685 16-channel 12-bit PWM controller on an I2C bus, set up as Adafruit's PWM servo driver
// library does: MODE2 totem-pole outputs, MODE1 all-call, the PWM frequency set through sleep -> PRE_SCALE
// -> wake -> restart with register auto-increment, then one 5-byte write per channel (LEDn_ON_L, ON_H, OFF_L,
// OFF_H). Counts are 0..4095 of a 4096-tick period; 4096 sets the full-on (ON_H) or full-off (OFF_H) bit 4.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

#include "hw/i2c_dev.h"

namespace s2r::hw::pca9685 {

// Registers (datasheet section 7.3).
inline constexpr uint8_t kMode1 = 0x00;
inline constexpr uint8_t kMode2 = 0x01;
inline constexpr uint8_t kLed0OnL = 0x06;    // LEDn_ON_L = 0x06 + 4n, ON_H, OFF_L, OFF_H follow
inline constexpr uint8_t kAllLedOnL = 0xFA;  // ALL_LED_ON_L .. ALL_LED_OFF_H = 0xFA..0xFD (write-only)
inline constexpr uint8_t kPreScale = 0xFE;
// MODE1 bits.
inline constexpr uint8_t kRestart = 0x80;
inline constexpr uint8_t kExtClk = 0x40;
inline constexpr uint8_t kAutoIncrement = 0x20;
inline constexpr uint8_t kSleep = 0x10;
inline constexpr uint8_t kAllCall = 0x01;
// MODE2 bits.
inline constexpr uint8_t kInvert = 0x10;
inline constexpr uint8_t kOutDrv = 0x04;
// Bit 4 of LEDn_ON_H / LEDn_OFF_H: full on / full off (full off wins).
inline constexpr uint8_t kFullBit = 0x10;
inline constexpr int kFull = 4096;  // a count of 4096 sets the full bit
inline constexpr int kChannels = 16;
inline constexpr double kOscillatorHz = 25e6;

// round(25 MHz / (4096 f)) - 1, clamped to the chip's 3..255 (1526..24 Hz).
int PrescaleFor(double hz);
// The frequency a prescale value gives: 25 MHz / (4096 (prescale + 1)).
double FrequencyOf(int prescale);

}  // namespace s2r::hw::pca9685

namespace s2r::hw {

struct Pca9685Options {
  int address = 0x60;    // the Adafruit MotorHAT's (the chip's default is 0x40)
  double pwm_hz = 1600;  // the MotorHAT library asks for 1600 Hz (the chip gives 1526 Hz)
  // Waits for the oscillator (500 us after wake; Adafruit waits 5 ms). Tests pass a no-op.
  std::function<void(std::chrono::microseconds)> wait;
};

// Owns no bus; the bus must outlive it. Not thread-safe (JetbotMotors serializes its calls).
class Pca9685 {
 public:
  // Selects the address and runs Init(); throws I2cError when the chip does not answer.
  Pca9685(I2cBus& bus, Pca9685Options options);

  // MODE2 = OUTDRV, MODE1 = ALLCALL | AI (awake), all outputs full-off, then SetPwmFrequency(pwm_hz).
  void Init();
  // MODE1 read; sleep (PRE_SCALE is writable only while asleep); PRE_SCALE; old MODE1; wait; restart + AI.
  void SetPwmFrequency(double hz);
  // Channel 0..15; on/off counts 0..4096 (4096 = the full bit). One auto-incremented 5-byte write.
  void SetPwm(int channel, int on, int off);
  // A digital pin: high = (4096, 0) full on, low = (0, 4096) full off (Adafruit's setPin).
  void SetPin(int channel, bool high);
  // Every channel full-off through ALL_LED (one 5-byte write).
  void AllOff();
  uint8_t ReadRegister(uint8_t reg);

  int address() const { return options_.address; }
  I2cBus& bus() { return bus_; }

 private:
  void WriteRegister(uint8_t reg, uint8_t value);
  void Wait(std::chrono::microseconds us);

  I2cBus& bus_;
  Pca9685Options options_;
};

}  // namespace s2r::hw
