// The Jetbot's two wheel motors on a PCA9685 motor board, with NVIDIA-AI-IOT/jetbot's set_motors(left,
// right) semantics: value v in [-1, 1] per side, mapped = int(255 (alpha v + beta)) (truncated toward 0),
// speed = min(|mapped|, 255) written as PWM duty speed*16/4096, direction from the sign of mapped (mapped < 0
// -> the library's FORWARD, else BACKWARD: jetbot's naming is inverted relative to the wiring). Values are
// checked before anything is written. Release (both direction pins low, PWM full-off) happens on Release(),
// in the destructor, after a failed write, and from Poll() when no command came for longer than the
// watchdog timeout; MotorWatchdog runs Poll() on a thread for real use.
#pragma once

#include <array>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

#include "hw/i2c_dev.h"
#include "hw/pca9685.h"

namespace s2r::hw {

enum class MotorBoard {
  kAdafruitMotorHat,  // Adafruit DC & Stepper Motor HAT (2927): TB6612 drivers, PWM + IN1/IN2 per motor
  kWaveshareJetbot,   // Waveshare JetBot board: jetbot also drives two PCA9685 pins per motor
};
// "adafruit" / "waveshare"; ParseMotorBoard throws ConfigError naming `flag` for anything else.
std::string MotorBoardName(MotorBoard board);
MotorBoard ParseMotorBoard(const std::string& name, const std::string& flag);

// PCA9685 channels of one motor on the Adafruit MotorHAT (Adafruit_MotorHAT's getMotor(n)).
struct MotorPins {
  int pwm, in2, in1;
};
// Motors 1..4 (index 0..3).
inline constexpr std::array<MotorPins, 4> kAdafruitMotorHatPins = {
    {{8, 9, 10}, {13, 12, 11}, {2, 3, 4}, {7, 6, 5}}};
// The Waveshare JetBot board's extra pins as jetbot's Motor writes them: motor 1 IN_A = 1, IN_B = 0; any
// other motor IN_A = 2, IN_B = 3. mapped >= 0: IN_A = speed*16, IN_B = 0; mapped < 0: the reverse.
struct WavesharePins {
  int in_a, in_b;
};
inline constexpr WavesharePins WavesharePinsOf(int motor) {
  return motor == 1 ? WavesharePins{1, 0} : WavesharePins{2, 3};
}

// A value refused before anything reached the bus (non-finite, outside [-1, 1]). Bad input: main exits 2.
class MotorValueError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

struct JetbotMotorsConfig {
  MotorBoard board = MotorBoard::kAdafruitMotorHat;
  int address = 0x60;
  int left_motor = 1, right_motor = 2;  // MotorHAT motor numbers 1..4 (jetbot's defaults)
  double left_alpha = 1.0, left_beta = 0.0, right_alpha = 1.0, right_beta = 0.0;
  double pwm_hz = 1600;
  double watchdog_s = 0.25;  // release when no SetMotors came for longer than this; <= 0: off
  void Validate() const;     // throws ConfigError naming the field
};

// What one motor is told, in register terms (for logs and tests).
struct MotorCommand {
  int mapped = 0;  // int(255 (alpha v + beta)), signed
  int speed = 0;   // 0..255
  int duty = 0;    // speed * 16, of 4096
};
// jetbot's _write_value arithmetic; v must already be checked.
MotorCommand MapMotorValue(double value, double alpha, double beta);

class JetbotMotors {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  using Clock = std::function<TimePoint()>;  // injectable for tests; default steady_clock::now

  // Initializes the PCA9685 (Pca9685Options::wait as given) and releases both motors. The bus must
  // outlive this object.
  JetbotMotors(I2cBus& bus, JetbotMotorsConfig config, Clock clock = {},
               std::function<void(std::chrono::microseconds)> wait = {});
  ~JetbotMotors();  // releases (never throws)
  JetbotMotors(const JetbotMotors&) = delete;
  JetbotMotors& operator=(const JetbotMotors&) = delete;

  // Both values in [-1, 1] and finite, else MotorValueError before any write. A bus error while writing
  // releases the motors (best effort) and is rethrown.
  void SetMotors(double left, double right);
  // Both motors: direction pins low, PWM full-off (and the Waveshare pins off). Idempotent.
  void Release();
  // The watchdog tick: releases when driving and the last command is older than watchdog_s. True when it
  // released now.
  bool Poll();

  bool released() const;
  int watchdog_releases() const;
  const JetbotMotorsConfig& config() const { return config_; }

 private:
  void WriteMotor(int motor, const MotorCommand& c);
  void ReleaseMotor(int motor);
  void ReleaseLocked();

  JetbotMotorsConfig config_;
  Clock clock_;
  mutable std::mutex mu_;
  Pca9685 pca_;
  bool released_ = true;
  TimePoint last_command_{};
  int watchdog_releases_ = 0;
};

// Calls motors.Poll() every `period` on a thread until destroyed (joins). Bus errors in Poll are kept out
// of the thread; the next SetMotors reports them.
class MotorWatchdog {
 public:
  explicit MotorWatchdog(JetbotMotors& motors,
                         std::chrono::milliseconds period = std::chrono::milliseconds(20));
  ~MotorWatchdog();
  MotorWatchdog(const MotorWatchdog&) = delete;
  MotorWatchdog& operator=(const MotorWatchdog&) = delete;

 private:
  JetbotMotors& motors_;
  std::chrono::milliseconds period_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace s2r::hw
