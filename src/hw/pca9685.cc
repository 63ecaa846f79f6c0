#include "hw/pca9685.h"

#include <algorithm>
#include <cmath>
#include <thread>
#include <utility>

namespace s2r::hw {

namespace pca9685 {

int PrescaleFor(double hz) {
  const double v = std::floor(kOscillatorHz / (4096.0 * hz) - 1.0 + 0.5);  // Adafruit's rounding
  return static_cast<int>(std::clamp(v, 3.0, 255.0));
}

double FrequencyOf(int prescale) { return kOscillatorHz / (4096.0 * (prescale + 1)); }

}  // namespace pca9685

using namespace pca9685;

Pca9685::Pca9685(I2cBus& bus, Pca9685Options options) : bus_(bus), options_(std::move(options)) {
  if (!(options_.pwm_hz >= 24 && options_.pwm_hz <= 1526 * 1.05))
    throw ConfigError("PCA9685 PWM frequency " + std::to_string(options_.pwm_hz) +
                      " Hz: expected 24..1600 Hz");
  bus_.SetAddress(options_.address);
  Init();
}

void Pca9685::Wait(std::chrono::microseconds us) {
  if (options_.wait)
    options_.wait(us);
  else
    std::this_thread::sleep_for(us);
}

void Pca9685::WriteRegister(uint8_t reg, uint8_t value) {
  const uint8_t b[2] = {reg, value};
  bus_.Write(b);
}

uint8_t Pca9685::ReadRegister(uint8_t reg) {
  bus_.Write(std::span<const uint8_t>(&reg, 1));  // sets the register pointer
  uint8_t v = 0;
  bus_.Read(std::span<uint8_t>(&v, 1));
  return v;
}

void Pca9685::Init() {
  WriteRegister(kMode2, kOutDrv);
  WriteRegister(kMode1, kAllCall | kAutoIncrement);  // SLEEP cleared: the oscillator starts
  Wait(std::chrono::microseconds(5000));
  AllOff();
  SetPwmFrequency(options_.pwm_hz);
}

void Pca9685::SetPwmFrequency(double hz) {
  const int prescale = PrescaleFor(hz);
  const uint8_t old_mode = ReadRegister(kMode1);
  WriteRegister(kMode1, static_cast<uint8_t>((old_mode & ~kRestart) | kSleep));
  WriteRegister(kPreScale, static_cast<uint8_t>(prescale));
  WriteRegister(kMode1, static_cast<uint8_t>(old_mode & ~kRestart & ~kSleep));
  Wait(std::chrono::microseconds(5000));
  WriteRegister(kMode1, static_cast<uint8_t>((old_mode & ~kSleep) | kRestart | kAutoIncrement));
}

void Pca9685::SetPwm(int channel, int on, int off) {
  if (channel < 0 || channel >= kChannels || on < 0 || on > kFull || off < 0 || off > kFull)
    throw ConfigError("PCA9685: channel " + std::to_string(channel) + " on " + std::to_string(on) + " off " +
                      std::to_string(off) + ": expected channel 0..15 and counts 0..4096");
  const uint8_t b[5] = {static_cast<uint8_t>(kLed0OnL + 4 * channel), static_cast<uint8_t>(on & 0xFF),
                        static_cast<uint8_t>(on >> 8), static_cast<uint8_t>(off & 0xFF),
                        static_cast<uint8_t>(off >> 8)};
  bus_.Write(b);
}

void Pca9685::SetPin(int channel, bool high) {
  if (high)
    SetPwm(channel, kFull, 0);
  else
    SetPwm(channel, 0, kFull);
}

void Pca9685::AllOff() {
  const uint8_t b[5] = {kAllLedOnL, 0, 0, 0, kFullBit};
  bus_.Write(b);
}

}  // namespace s2r::hw
