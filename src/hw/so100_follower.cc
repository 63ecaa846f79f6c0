#include "hw/so100_follower.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>

#include "hw/feetech/control_table.h"

namespace s2r::hw {

using feetech::CommError;
using feetech::FeetechBus;
using feetech::Register;
using feetech::ServoError;

namespace {

std::string Fixed(double v, int digits = 2) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
  return buf;
}

std::string_view Unit(MotorNormMode mode) { return mode == MotorNormMode::kDegrees ? " deg" : " %"; }

}  // namespace

std::vector<JointSpec> So100Joints(const So100FollowerConfig& config) {
  std::vector<JointSpec> out;
  for (int i = 0; i < so100::kNumJoints; ++i) {
    JointSpec j;
    j.name = std::string(so100::kJointNames[i]);
    j.id = i + 1;
    j.norm_mode = i == so100::kNumArmJoints ? config.gripper_norm_mode
                  : config.use_degrees      ? MotorNormMode::kDegrees
                                            : MotorNormMode::kRangeM100To100;
    out.push_back(j);
  }
  return out;
}

void ValidateCalibration(const Calibration& cal, const std::vector<JointSpec>& joints,
                         const std::string& source) {
  for (const auto& [name, m] : cal) {
    if (std::none_of(joints.begin(), joints.end(), [&](const JointSpec& j) { return j.name == name; }))
      throw ConfigError(source + ": key '" + name + "' is not a joint of this robot");
  }
  for (const JointSpec& j : joints) {
    const MotorCalibration* m = cal.Find(j.name);
    const std::string key = source + ": key '" + j.name;
    if (!m) throw ConfigError(key + "' is missing");
    if (m->id != j.id)
      throw ConfigError(key + ".id' is " + std::to_string(m->id) + "; expected " + std::to_string(j.id));
    if (m->drive_mode != 0 && m->drive_mode != 1)
      throw ConfigError(key + ".drive_mode' is " + std::to_string(m->drive_mode) + "; expected 0 or 1");
    if (std::abs(m->homing_offset) > 2047)
      throw ConfigError(key + ".homing_offset' is " + std::to_string(m->homing_offset) +
                        "; expected -2047..2047");
    if (m->range_min < 0 || m->range_max > feetech::kMaxRawPosition || m->range_min >= m->range_max)
      throw ConfigError(key + "': range_min " + std::to_string(m->range_min) + " and range_max " +
                        std::to_string(m->range_max) + " must satisfy 0 <= range_min < range_max <= 4095");
  }
}

// ---------------------------------------------------------------------------------------------

So100Follower::So100Follower(So100FollowerConfig config, std::optional<Calibration> calibration)
    : config_(std::move(config)), joints_(So100Joints(config_)) {
  if (config_.max_relative_target) {
    for (int i = 0; i < so100::kNumJoints; ++i) {
      const double cap = (*config_.max_relative_target)[i];
      if (!(cap > 0) || !std::isfinite(cap))
        throw ConfigError("max_relative_target for '" + joints_[i].name +
                          "' must be a positive number, got " + std::to_string(cap));
    }
  }
  if (calibration) SetCalibration(std::move(*calibration));
}

So100Follower::~So100Follower() {
  if (!bus_) return;
  TorqueOffBestEffort();
  bus_.reset();
}

void So100Follower::SetCalibration(Calibration calibration) {
  ValidateCalibration(calibration, joints_, "calibration of follower '" + config_.id + "'");
  calibration_ = std::move(calibration);
}

std::vector<int> So100Follower::Ids() const {
  std::vector<int> ids;
  for (const JointSpec& j : joints_) ids.push_back(j.id);
  return ids;
}

FeetechBus& So100Follower::Bus(const char* what) {
  if (!bus_) throw std::logic_error(std::string("So100Follower::") + what + ": not connected (call Connect)");
  return *bus_;
}

FeetechBus& So100Follower::bus() { return Bus("bus"); }

const Calibration& So100Follower::Cal(const char* what) const {
  if (!calibration_)
    throw ConfigError("follower '" + config_.id + "' has no calibration (" + what +
                      "): run `sim2real calibrate --robot so100 --port " + config_.port + " --id " +
                      config_.id + "`");
  return *calibration_;
}

// ---------------------------------------------------------------------------------------------
// Connection

void So100Follower::Connect() {
  if (bus_) throw std::logic_error("So100Follower::Connect: already connected to " + config_.port);
  bus_ = std::make_unique<FeetechBus>(config_.port, config_.baud, config_.bus_options);
  try {
    std::vector<int> missing, wrong;
    std::ostringstream detail;
    for (const JointSpec& j : joints_) {
      try {
        const int model = bus_->Ping(j.id, config_.num_retry);
        if (model != feetech::kModelNumberSts3215) {
          wrong.push_back(j.id);
          detail << "\n  id " << j.id << " (" << j.name << "): model " << model << ", expected "
                 << feetech::kModelNumberSts3215 << " (STS3215)";
        }
      } catch (const CommError& e) {
        missing.push_back(j.id);
        detail << "\n  id " << j.id << " (" << j.name << "): no answer (" << e.detail() << ")";
      } catch (const ServoError& e) {
        missing.push_back(j.id);  // LeRobot's ping returns None when the ERR byte is set
        detail << "\n  id " << j.id << " (" << j.name << "): " << e.what();
      }
    }
    if (!missing.empty() || !wrong.empty()) {
      std::vector<int> bad = missing;
      bad.insert(bad.end(), wrong.begin(), wrong.end());
      throw HandshakeError(config_.port, bad,
                           "SO follower motor check failed on port '" + config_.port + "':" + detail.str() +
                               "\nCheck the port, power, cabling and ids (`sim2real motors scan --port " +
                               config_.port + "`).");
    }
    std::map<std::string, std::vector<int>> versions;
    for (const JointSpec& j : joints_) {
      const int major = bus_->Read(j.id, Register::kFirmwareMajor, config_.num_retry);
      const int minor = bus_->Read(j.id, Register::kFirmwareMinor, config_.num_retry);
      versions[std::to_string(major) + "." + std::to_string(minor)].push_back(j.id);
    }
    if (versions.size() > 1) {
      std::string list;
      std::vector<int> ids;
      for (const auto& [v, vids] : versions) {
        list += "\n  firmware " + v + ": ids";
        for (int id : vids) list += " " + std::to_string(id), ids.push_back(id);
      }
      throw HandshakeError(config_.port, ids,
                           "SO follower on port '" + config_.port +
                               "': the motors use different firmware versions:" + list +
                               "\nUpdate their firmware first with Feetech's software.");
    }
  } catch (...) {
    bus_.reset();
    throw;
  }
}

void So100Follower::Disconnect() {
  if (!bus_) return;
  std::exception_ptr err;
  try {
    std::map<int, int> off;
    for (int id : Ids()) off[id] = 0;
    try {
      bus_->SyncWrite(Register::kTorqueEnable, off, config_.torque_off_retries);  // reaches every servo first
    } catch (const std::exception&) {
    }
    bus_->DisableTorque(Ids(), config_.torque_off_retries);
  } catch (...) {
    err = std::current_exception();
  }
  bus_.reset();
  if (err) std::rethrow_exception(err);
}

void So100Follower::TorqueOffBestEffort() noexcept {
  try {
    feetech::TorqueOffGuard guard(*bus_, Ids(), config_.torque_off_retries);  // its destructor never throws
  } catch (...) {
  }
}

// ---------------------------------------------------------------------------------------------
// Torque, configuration, calibration

void So100Follower::TorqueOff() { Bus("TorqueOff").DisableTorque(Ids(), config_.torque_off_retries); }

void So100Follower::TorqueOn() {
  FeetechBus& bus = Bus("TorqueOn");
  const std::vector<int> ids = Ids();
  std::vector<uint8_t> errors;
  const std::vector<int> present = bus.SyncRead(Register::kPresentPosition, ids, config_.num_retry, &errors);
  std::map<int, int> hold;
  for (size_t i = 0; i < ids.size(); ++i) hold[ids[i]] = std::clamp(present[i], 0, feetech::kMaxRawPosition);
  bus.SyncWrite(Register::kGoalPosition, hold, config_.num_retry);
  bus.EnableTorque(ids, config_.num_retry);
}

void So100Follower::Configure() {
  FeetechBus& bus = Bus("Configure");
  Cal("Configure");
  const int r = config_.num_retry;
  bus.DisableTorque(Ids(), r);  // torque off and EEPROM unlocked while writing
  for (const JointSpec& j : joints_) {
    // LeRobot's configure_motors.
    bus.Write(j.id, Register::kReturnDelayTime, 0, r);
    bus.Write(j.id, Register::kMaximumAcceleration, 254, r);
    bus.Write(j.id, Register::kAcceleration, 254, r);
    ClearPhaseBit4(bus, j.id, r);
    // SOFollower.configure.
    bus.Write(j.id, Register::kOperatingMode, 0, r);
    bus.Write(j.id, Register::kPCoefficient, 16, r);
    bus.Write(j.id, Register::kICoefficient, 0, r);
    bus.Write(j.id, Register::kDCoefficient, 32, r);
    if (j.name == "gripper") {
      bus.Write(j.id, Register::kMaxTorqueLimit, 500, r);  // 50 % of max torque (burnouts, PR #1809)
      bus.Write(j.id, Register::kProtectionCurrent, 250, r);
      bus.Write(j.id, Register::kOverloadTorque, 25, r);  // 25 % torque when overloaded
    }
  }
  if (!IsCalibrated()) WriteServoCalibration(bus, joints_, *calibration_, r);
  TorqueOn();
}

bool So100Follower::IsCalibrated() {
  FeetechBus& bus = Bus("IsCalibrated");
  return ServoCalibrationMatches(ReadServoCalibration(bus, joints_, config_.num_retry), Cal("IsCalibrated"));
}

void So100Follower::WriteCalibration() {
  FeetechBus& bus = Bus("WriteCalibration");
  const Calibration& cal = Cal("WriteCalibration");
  bus.DisableTorque(Ids(), config_.num_retry);
  WriteServoCalibration(bus, joints_, cal, config_.num_retry);
}

const Calibration& So100Follower::Calibrate(const CalibrationCallbacks& callbacks,
                                            CalibrationOptions options) {
  FeetechBus& bus = Bus("Calibrate");
  if (!config_.id.empty()) options.robot = "so100 follower '" + config_.id + "'";
  SetCalibration(RunCalibrationProcedure(bus, joints_, callbacks, options));
  return *calibration_;
}

// ---------------------------------------------------------------------------------------------
// Positions and goals

std::array<double, 2> So100Follower::Limits(int joint) const {
  const JointSpec& j = joints_.at(static_cast<size_t>(joint));
  const MotorCalibration& m = Cal("Limits").At(j.name);
  return {Normalize(m, j.norm_mode, m.range_min), Normalize(m, j.norm_mode, m.range_max)};
}

std::vector<int> So100Follower::ReadRaw() {
  return Bus("ReadPositions").SyncRead(Register::kPresentPosition, Ids(), config_.num_retry, &last_errors_);
}

JointValues So100Follower::ReadPositions() {
  const Calibration& cal = Cal("ReadPositions");
  const std::vector<int> raw = ReadRaw();
  JointValues out{};
  for (size_t i = 0; i < joints_.size(); ++i)
    out[i] = Normalize(cal.At(joints_[i].name), joints_[i].norm_mode, raw[i]);
  return out;
}

JointValues So100Follower::SendGoal(const JointValues& goal) {
  FeetechBus& bus = Bus("SendGoal");
  const Calibration& cal = Cal("SendGoal");
  // 1. Every goal within its calibrated range, before any bus traffic.
  for (size_t i = 0; i < joints_.size(); ++i) {
    const JointSpec& j = joints_[i];
    const MotorCalibration& m = cal.At(j.name);
    if (!std::isfinite(goal[i]))
      throw std::invalid_argument("SendGoal: goal for '" + j.name + "' is not finite; nothing was sent");
    bool inside = true;
    if (j.norm_mode == MotorNormMode::kDegrees) {
      const int raw = Unnormalize(m, j.norm_mode, goal[i]);
      inside = raw >= m.range_min && raw <= m.range_max;
    } else {
      const double lo = j.norm_mode == MotorNormMode::kRange0To100 ? 0.0 : -100.0;
      inside = goal[i] >= lo - 1e-9 && goal[i] <= 100.0 + 1e-9;
    }
    if (!inside) {
      const auto lim = Limits(static_cast<int>(i));
      throw GoalLimitError(
          static_cast<int>(i),
          "SendGoal: goal " + Fixed(goal[i]) + std::string(Unit(j.norm_mode)) + " for '" + j.name +
              "' is outside its calibrated range [" + Fixed(std::min(lim[0], lim[1])) + ", " +
              Fixed(std::max(lim[0], lim[1])) + "]" + std::string(Unit(j.norm_mode)) + " (ticks " +
              std::to_string(m.range_min) + ".." + std::to_string(m.range_max) + "); nothing was sent");
    }
  }
  // 2. Per-step cap relative to the present position (LeRobot's ensure_safe_goal_position).
  JointValues sent = goal;
  if (config_.max_relative_target) {
    const JointValues present = ReadPositions();
    for (size_t i = 0; i < joints_.size(); ++i) {
      const double cap = (*config_.max_relative_target)[i];
      const double diff = std::max(std::min(goal[i] - present[i], cap), -cap);
      sent[i] = present[i] + diff;
    }
  }
  // 3. One SYNC_WRITE. A clipped goal lies between an in-range goal and the present position, which may
  // itself be out of range (pushed there by hand): such raw goals are clamped into the range.
  std::map<int, int> raw_goals;
  for (size_t i = 0; i < joints_.size(); ++i) {
    const JointSpec& j = joints_[i];
    const MotorCalibration& m = cal.At(j.name);
    const int raw = Unnormalize(m, j.norm_mode, sent[i]);
    const int clamped = std::clamp(raw, m.range_min, m.range_max);
    if (clamped != raw) sent[i] = Normalize(m, j.norm_mode, clamped);
    raw_goals[j.id] = clamped;
  }
  bus.SyncWrite(Register::kGoalPosition, raw_goals, config_.num_retry);
  return sent;
}

}  // namespace s2r::hw
