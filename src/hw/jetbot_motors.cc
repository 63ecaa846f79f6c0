#include "hw/jetbot_motors.h"

#include <cmath>
#include <utility>

namespace s2r::hw {

namespace {

std::string Num(double v) {
  std::string s = std::to_string(v);
  return std::isfinite(v) ? s : (std::isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf"));
}

void CheckValue(const char* side, double v) {
  if (!std::isfinite(v) || v < -1.0 || v > 1.0)
    throw MotorValueError(std::string("set_motors: ") + side + " value " + Num(v) +
                          " refused: expected a finite value in [-1, 1]");
}

}  // namespace

std::string MotorBoardName(MotorBoard board) {
  return board == MotorBoard::kWaveshareJetbot ? "waveshare" : "adafruit";
}

MotorBoard ParseMotorBoard(const std::string& name, const std::string& flag) {
  if (name == "adafruit") return MotorBoard::kAdafruitMotorHat;
  if (name == "waveshare") return MotorBoard::kWaveshareJetbot;
  throw ConfigError(flag + ": expected adafruit or waveshare, got '" + name + "'");
}

void JetbotMotorsConfig::Validate() const {
  if (address < 0x03 || address > 0x77)
    throw ConfigError("address: expected a 7-bit I2C address 0x03..0x77, got " + HexAddress(address));
  for (auto [name, m] : {std::pair{"left_motor", left_motor}, std::pair{"right_motor", right_motor}})
    if (m < 1 || m > 4) throw ConfigError(std::string(name) + ": expected a MotorHAT motor 1..4");
  if (left_motor == right_motor) throw ConfigError("left_motor and right_motor must differ");
  for (auto [name, v] : {std::pair{"left_alpha", left_alpha}, std::pair{"left_beta", left_beta},
                         std::pair{"right_alpha", right_alpha}, std::pair{"right_beta", right_beta}})
    if (!std::isfinite(v)) throw ConfigError(std::string(name) + ": expected a finite number");
  if (!(pwm_hz >= 24 && pwm_hz <= 1600)) throw ConfigError("pwm_hz: expected 24..1600, got " + Num(pwm_hz));
  if (!std::isfinite(watchdog_s)) throw ConfigError("watchdog_s: expected a finite number of seconds");
}

MotorCommand MapMotorValue(double value, double alpha, double beta) {
  MotorCommand c;
  c.mapped = static_cast<int>(255.0 * (alpha * value + beta));  // Python's int(): truncation toward 0
  c.speed = std::min(std::abs(c.mapped), 255);
  c.duty = c.speed * 16;
  return c;
}

JetbotMotors::JetbotMotors(I2cBus& bus, JetbotMotorsConfig config, Clock clock,
                           std::function<void(std::chrono::microseconds)> wait)
    : config_((config.Validate(), std::move(config))),
      clock_(clock ? std::move(clock) : Clock([] { return std::chrono::steady_clock::now(); })),
      pca_(bus, Pca9685Options{config_.address, config_.pwm_hz, std::move(wait)}) {
  std::lock_guard<std::mutex> lock(mu_);
  ReleaseLocked();
}

JetbotMotors::~JetbotMotors() {
  try {
    std::lock_guard<std::mutex> lock(mu_);
    ReleaseLocked();
  } catch (...) {
    // Nothing more can be done from a destructor; the chip's outputs keep their last state.
  }
}

void JetbotMotors::WriteMotor(int motor, const MotorCommand& c) {
  const MotorPins& p = kAdafruitMotorHatPins[motor - 1];
  pca_.SetPwm(p.pwm, 0, c.duty);  // setSpeed
  if (c.mapped < 0) {             // run(FORWARD)
    pca_.SetPin(p.in2, false);
    pca_.SetPin(p.in1, true);
  } else {  // run(BACKWARD)
    pca_.SetPin(p.in1, false);
    pca_.SetPin(p.in2, true);
  }
  if (config_.board == MotorBoard::kWaveshareJetbot) {
    const WavesharePins w = WavesharePinsOf(motor);
    pca_.SetPwm(w.in_a, 0, c.mapped < 0 ? 0 : c.duty);
    pca_.SetPwm(w.in_b, 0, c.mapped < 0 ? c.duty : 0);
  }
}

void JetbotMotors::ReleaseMotor(int motor) {
  const MotorPins& p = kAdafruitMotorHatPins[motor - 1];
  pca_.SetPin(p.in1, false);  // run(RELEASE)
  pca_.SetPin(p.in2, false);
  pca_.SetPwm(p.pwm, 0, pca9685::kFull);
  if (config_.board == MotorBoard::kWaveshareJetbot) {
    const WavesharePins w = WavesharePinsOf(motor);
    pca_.SetPwm(w.in_a, 0, pca9685::kFull);
    pca_.SetPwm(w.in_b, 0, pca9685::kFull);
  }
}

void JetbotMotors::ReleaseLocked() {
  // Both motors are attempted even when the first fails; the first error is rethrown.
  std::exception_ptr first;
  for (int m : {config_.left_motor, config_.right_motor}) {
    try {
      ReleaseMotor(m);
    } catch (...) {
      if (!first) first = std::current_exception();
    }
  }
  if (first) std::rethrow_exception(first);
  released_ = true;
}

void JetbotMotors::SetMotors(double left, double right) {
  CheckValue("left", left);
  CheckValue("right", right);
  const MotorCommand l = MapMotorValue(left, config_.left_alpha, config_.left_beta);
  const MotorCommand r = MapMotorValue(right, config_.right_alpha, config_.right_beta);
  std::lock_guard<std::mutex> lock(mu_);
  last_command_ = clock_();
  released_ = false;
  try {
    WriteMotor(config_.left_motor, l);
    WriteMotor(config_.right_motor, r);
  } catch (...) {
    try {
      ReleaseLocked();
    } catch (...) {
    }
    throw;
  }
}

void JetbotMotors::Release() {
  std::lock_guard<std::mutex> lock(mu_);
  ReleaseLocked();
}

bool JetbotMotors::Poll() {
  std::lock_guard<std::mutex> lock(mu_);
  if (released_ || config_.watchdog_s <= 0) return false;
  if (clock_() - last_command_ <= std::chrono::duration<double>(config_.watchdog_s)) return false;
  ++watchdog_releases_;
  ReleaseLocked();
  return true;
}

bool JetbotMotors::released() const {
  std::lock_guard<std::mutex> lock(mu_);
  return released_;
}

int JetbotMotors::watchdog_releases() const {
  std::lock_guard<std::mutex> lock(mu_);
  return watchdog_releases_;
}

MotorWatchdog::MotorWatchdog(JetbotMotors& motors, std::chrono::milliseconds period)
    : motors_(motors), period_(period) {
  thread_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(mu_);
    while (!cv_.wait_for(lock, period_, [this] { return stop_; })) {
      lock.unlock();
      try {
        motors_.Poll();
      } catch (...) {
        // The control loop's next SetMotors meets the same bus error and reports it.
      }
      lock.lock();
    }
  });
}

MotorWatchdog::~MotorWatchdog() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

}  // namespace s2r::hw
