#include "hw/virtual/pca9685_model.h"

#include <algorithm>

namespace s2r::hw {

using namespace pca9685;

Pca9685Model::Pca9685Model() {
  regs_[kMode1] = kSleep | kAllCall;
  regs_[kMode2] = kOutDrv;
  regs_[0x02] = 0xE2;  // SUBADR1..3, ALLCALLADR
  regs_[0x03] = 0xE4;
  regs_[0x04] = 0xE8;
  regs_[0x05] = 0xE0;
  for (int ch = 0; ch < kChannels; ++ch) regs_[kLed0OnL + 4 * ch + 3] = kFullBit;
  regs_[kPreScale] = 0x1E;
}

bool Pca9685Model::asleep() const { return regs_[kMode1] & kSleep; }

double Pca9685Model::pwm_hz() const { return FrequencyOf(regs_[kPreScale]); }

void Pca9685Model::Store(uint8_t r, uint8_t v) {
  if (r == kMode1) {
    regs_[r] = v & ~kRestart;  // writing RESTART = 1 restarts the PWM and clears the bit
  } else if (r == kPreScale) {
    if (asleep()) regs_[r] = v;  // ignored while the oscillator runs
  } else if (r >= kAllLedOnL && r <= kAllLedOnL + 3) {
    for (int ch = 0; ch < kChannels; ++ch) regs_[kLed0OnL + 4 * ch + (r - kAllLedOnL)] = v;
  } else if (r <= kLed0OnL + 4 * kChannels - 1) {
    regs_[r] = v;
  }  // 0x46..0xF9 reserved, 0xFF test mode: ignored
}

void Pca9685Model::Write(std::span<const uint8_t> bytes) {
  if (bytes.empty()) return;  // an address-only probe
  pointer_ = bytes[0];
  for (size_t i = 1; i < bytes.size(); ++i) {
    Store(pointer_, bytes[i]);
    if (regs_[kMode1] & kAutoIncrement) ++pointer_;  // wraps at 0xFF
  }
}

void Pca9685Model::Read(std::span<uint8_t> bytes) {
  for (uint8_t& b : bytes) {
    b = (pointer_ >= kAllLedOnL && pointer_ <= kAllLedOnL + 3) ? 0 : regs_[pointer_];
    if (regs_[kMode1] & kAutoIncrement) ++pointer_;
  }
}

PwmOutput Pca9685Model::Output(int channel) const {
  const int base = kLed0OnL + 4 * channel;
  const bool full_on = regs_[base + 1] & kFullBit, full_off = regs_[base + 3] & kFullBit;
  const int on = regs_[base] | ((regs_[base + 1] & 0x0F) << 8);
  const int off = regs_[base + 2] | ((regs_[base + 3] & 0x0F) << 8);
  PwmOutput o;
  if (asleep() || full_off)
    o.counts = 0;
  else if (full_on)
    o.counts = kFull;
  else
    o.counts = (off - on + kFull) % kFull;  // high from count `on` to count `off` (wrapping)
  o.duty = o.counts / static_cast<double>(kFull);
  return o;
}

MotorOutput Pca9685Model::Motor(MotorBoard board, int motor) const {
  MotorOutput m;
  int forward = 0, backward = 0;  // counts driving each way (positive = jetbot's mapped >= 0)
  if (board == MotorBoard::kWaveshareJetbot) {
    const WavesharePins w = WavesharePinsOf(motor);
    forward = Output(w.in_a).counts;
    backward = Output(w.in_b).counts;
    m.released = forward == 0 && backward == 0;
  } else {
    const MotorPins& p = kAdafruitMotorHatPins[motor - 1];
    const bool in1 = Output(p.in1).counts > 0, in2 = Output(p.in2).counts > 0;
    const int speed = Output(p.pwm).counts;
    m.released = !in1 && !in2;
    if (in2 && !in1) forward = speed;  // jetbot's BACKWARD: mapped >= 0
    if (in1 && !in2) backward = speed;
  }
  const int signed_counts = forward - backward;
  m.value = std::clamp(signed_counts / (255.0 * 16.0), -1.0, 1.0);
  m.duty = signed_counts / static_cast<double>(kFull);
  return m;
}

}  // namespace s2r::hw
