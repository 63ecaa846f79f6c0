#include "hw/calibration_procedure.h"

#include <cstdlib>
#include <thread>

#include "core/error.h"
#include "hw/feetech/control_table.h"

namespace s2r::hw {

using feetech::FeetechBus;
using feetech::Register;

namespace {

constexpr int kHalfTurn = 2047;  // LeRobot: int(max_res / 2)
constexpr int kPhaseMultiTurnBit = 0x10;

std::vector<int> Ids(std::span<const JointSpec> joints) {
  std::vector<int> ids;
  for (const JointSpec& j : joints) ids.push_back(j.id);
  return ids;
}

}  // namespace

void WriteServoCalibration(FeetechBus& bus, std::span<const JointSpec> joints, const Calibration& calibration,
                           int num_retry) {
  for (const JointSpec& j : joints) {
    const MotorCalibration& m = calibration.At(j.name);
    bus.Write(j.id, Register::kHomingOffset, m.homing_offset, num_retry);
    bus.Write(j.id, Register::kMinPositionLimit, m.range_min, num_retry);
    bus.Write(j.id, Register::kMaxPositionLimit, m.range_max, num_retry);
  }
}

Calibration ReadServoCalibration(FeetechBus& bus, std::span<const JointSpec> joints, int num_retry) {
  Calibration out;
  for (const JointSpec& j : joints) {
    MotorCalibration m;
    m.id = j.id;
    m.drive_mode = 0;
    m.range_min = bus.Read(j.id, Register::kMinPositionLimit, num_retry);
    m.range_max = bus.Read(j.id, Register::kMaxPositionLimit, num_retry);
    m.homing_offset = bus.Read(j.id, Register::kHomingOffset, num_retry);
    out.Set(j.name, m);
  }
  return out;
}

bool ServoCalibrationMatches(const Calibration& on_servos, const Calibration& calibration) {
  if (on_servos.size() != calibration.size()) return false;
  for (const auto& [joint, s] : on_servos) {
    const MotorCalibration* c = calibration.Find(joint);
    if (!c || c->homing_offset != s.homing_offset || c->range_min != s.range_min ||
        c->range_max != s.range_max)
      return false;
  }
  return true;
}

void ClearPhaseBit4(FeetechBus& bus, int id, int num_retry) {
  const int phase = bus.Read(id, Register::kPhase, num_retry);
  if (phase & kPhaseMultiTurnBit) bus.Write(id, Register::kPhase, phase & ~kPhaseMultiTurnBit, num_retry);
}

int HalfTurnHomingOffset(int raw_position) {
  const int p = ((raw_position % feetech::kResolution) + feetech::kResolution) % feetech::kResolution;
  return std::min(p - kHalfTurn, kHalfTurn);  // p - 2047 in [-2047, 2048]; 2048 cannot be encoded
}

Calibration RunCalibrationProcedure(FeetechBus& bus, std::span<const JointSpec> joints,
                                    const CalibrationCallbacks& cb, const CalibrationOptions& opt) {
  if (!cb.ask || !cb.show || !cb.sweep_finished)
    throw ConfigError("calibration: every callback (ask, show, sweep_finished) must be set");
  const int retry = opt.num_retry;
  const std::vector<int> ids = Ids(joints);

  // 1. Torque off (also unlocks the EEPROM), position mode, single-turn feedback.
  bus.DisableTorque(ids, retry);
  for (int id : ids) {
    bus.Write(id, Register::kOperatingMode, 0, retry);
    ClearPhaseBit4(bus, id, retry);
  }

  // 2. Middle pose -> half-turn homings (LeRobot's set_half_turn_homings, after reset_calibration).
  cb.ask("Move the " + opt.robot + " to the middle of its range of motion and press ENTER....");
  for (int id : ids) {
    bus.Write(id, Register::kHomingOffset, 0, retry);
    bus.Write(id, Register::kMinPositionLimit, 0, retry);
    bus.Write(id, Register::kMaxPositionLimit, feetech::kMaxRawPosition, retry);
  }
  std::vector<uint8_t> errors;  // ERR bits do not stop a calibration (LeRobot's sync_read ignores them)
  const std::vector<int> middle = bus.SyncRead(Register::kPresentPosition, ids, retry, &errors);
  std::vector<int> offsets;
  for (size_t i = 0; i < ids.size(); ++i) {
    offsets.push_back(HalfTurnHomingOffset(middle[i]));
    bus.Write(ids[i], Register::kHomingOffset, offsets.back(), retry);
  }

  // 3. Sweep every joint but the full-turn one.
  SweepStatus st;
  std::vector<int> sweep_ids;
  for (const JointSpec& j : joints) {
    if (j.name == opt.full_turn_joint) continue;
    st.joints.push_back(j.name);
    sweep_ids.push_back(j.id);
  }
  cb.show(
      "Move all joints except '" + opt.full_turn_joint +
      "' sequentially through their entire ranges of motion.\nRecording positions. Press ENTER to stop...");
  if (!sweep_ids.empty()) {
    st.position = bus.SyncRead(Register::kPresentPosition, sweep_ids, retry, &errors);
    st.min = st.max = st.position;
    while (true) {
      const std::vector<int> prev = st.position;
      st.position = bus.SyncRead(Register::kPresentPosition, sweep_ids, retry, &errors);
      ++st.samples;
      for (size_t i = 0; i < sweep_ids.size(); ++i) {
        if (std::abs(st.position[i] - prev[i]) > feetech::kResolution / 2)
          throw ConfigError("calibration: joint '" + st.joints[i] + "' jumped from " +
                            std::to_string(prev[i]) + " to " + std::to_string(st.position[i]) +
                            " ticks: it crossed the encoder's 0/4095 seam, so its range is more than half a "
                            "turn away from the middle pose. Calibrate again with it nearer the middle.");
        st.min[i] = std::min(st.min[i], st.position[i]);
        st.max[i] = std::max(st.max[i], st.position[i]);
      }
      if (cb.sweep_finished(st)) break;
      if (opt.sample_period.count() > 0) std::this_thread::sleep_for(opt.sample_period);
    }
  }
  std::string same;
  for (size_t i = 0; i < sweep_ids.size(); ++i) {
    if (st.min[i] == st.max[i]) same += (same.empty() ? "" : ", ") + st.joints[i];
  }
  if (!same.empty())
    throw ConfigError("calibration: some motors have the same min and max values (they were not moved): " +
                      same);

  // 4. Calibration (drive_mode 0 on SO arms), written to the servos.
  Calibration out;
  for (size_t i = 0; i < joints.size(); ++i) {
    MotorCalibration m;
    m.id = joints[i].id;
    m.drive_mode = 0;
    m.homing_offset = offsets[i];
    m.range_min = 0;
    m.range_max = feetech::kMaxRawPosition;
    for (size_t k = 0; k < st.joints.size(); ++k) {
      if (st.joints[k] == joints[i].name) m.range_min = st.min[k], m.range_max = st.max[k];
    }
    out.Set(joints[i].name, m);
  }
  WriteServoCalibration(bus, joints, out, retry);
  return out;
}

}  // namespace s2r::hw
