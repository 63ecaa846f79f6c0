// LeRobot's calibration on the servos: reading/writing a calibration to the servos' EEPROM
// (Homing_Offset, Min/Max_Position_Limit) and the interactive procedure of SOFollower.calibrate(), with the
// terminal left to callbacks so a test can drive it against the emulator.
//
// The procedure (../shared/specs/so100_hardware_reference.md, section 2):
//  1. Torque off (Lock = 0, EEPROM writable); Operating_Mode = 0 (position); Phase bit 4 cleared (*).
//  2. ask(): the user puts every joint at the middle of its range. Homing_Offset = 0, Min = 0,
//     Max = 4095 are written, raw positions p read, and Homing_Offset = p - 2047 written, so the middle
//     pose reads 2047.
//  3. show(), then the sweep: Present_Position of every joint but the full-turn one (wrist_roll) is
//     sampled every sample_period; min/max are tracked until sweep_finished() returns true. A joint whose
//     min == max is an error (as LeRobot). The full-turn joint gets 0..4095.
//  4. Homing_Offset, Min_Position_Limit and Max_Position_Limit are written to every servo; drive_mode 0.
//  Torque stays off.
// (*) Additions to LeRobot, each preventing one of its known failures (spec section 5): Phase bit 4 is
// cleared before positions are read (LeRobot only clears it in configure(), issue #1296); p is wrapped
// into 0..4095 and an offset of 2048 (p = 4095) becomes 2047 (11-bit sign-magnitude limit, PR #3370); a
// sweep sample that jumps by more than half a turn (the joint crossed the 0/4095 seam, issue #3586) is
// an error instead of a silently wrong range.
#pragma once

#include <chrono>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "hw/calibration.h"
#include "hw/feetech/bus.h"

namespace s2r::hw {

// Per joint, in order: Homing_Offset, Min_Position_Limit, Max_Position_Limit (EEPROM: torque must be off
// and Lock 0). Throws CommError/ServoError from the bus, ConfigError if a joint is missing.
void WriteServoCalibration(feetech::FeetechBus& bus, std::span<const JointSpec> joints,
                           const Calibration& calibration, int num_retry = 0);
// What the servos hold (drive_mode 0, as LeRobot's read_calibration).
Calibration ReadServoCalibration(feetech::FeetechBus& bus, std::span<const JointSpec> joints,
                                 int num_retry = 0);
// LeRobot's is_calibrated: the servos' offsets and limits equal `calibration` (same joints).
bool ServoCalibrationMatches(const Calibration& on_servos, const Calibration& calibration);

// Clears Phase bit 4 (0x10, multi-turn/overflowing position feedback) if set; needs Lock 0.
void ClearPhaseBit4(feetech::FeetechBus& bus, int id, int num_retry = 0);

// Homing_Offset that makes raw position p (Homing_Offset 0) read 2047: p - 2047 after wrapping p into
// 0..4095, limited to +-2047 (see the header comment).
int HalfTurnHomingOffset(int raw_position);

struct SweepStatus {
  std::vector<std::string> joints;      // the swept joints
  std::vector<int> min, position, max;  // ticks, per swept joint
  int samples = 0;                      // samples so far (the start read excluded)
};

struct CalibrationCallbacks {
  // Shows `message`, waits for the user's line (Enter) and returns it without the newline.
  std::function<std::string(const std::string& message)> ask;
  // Shows `message` without waiting.
  std::function<void(const std::string& message)> show;
  // Called after each sweep sample; true ends the sweep (LeRobot: Enter was pressed).
  std::function<bool(const SweepStatus& status)> sweep_finished;
};

struct CalibrationOptions {
  std::string robot = "so100 follower";  // in prompts
  std::string full_turn_joint = "wrist_roll";
  std::chrono::duration<double> sample_period{0.02};  // s between sweep samples (LeRobot: ~50 Hz)
  int num_retry = 5;  // bus retries per transaction (LeRobot's record_ranges_of_motion: 5)
};

// Runs the procedure and returns the calibration it wrote to the servos (joint order of `joints`).
// Throws ConfigError (min == max, seam crossed, missing callback) or the bus's errors.
Calibration RunCalibrationProcedure(feetech::FeetechBus& bus, std::span<const JointSpec> joints,
                                    const CalibrationCallbacks& callbacks,
                                    const CalibrationOptions& options = {});

}  // namespace s2r::hw
