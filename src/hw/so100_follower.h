// So100Follower: the SO-100/SO-101 follower arm as LeRobot's SOFollower drives it, over FeetechBus
// (../shared/specs/so100_hardware_reference.md, sections 1, 2 and 5). Joints, in so100::kJointNames order,
// are servos 1..6; positions are in LeRobot's normalized units: degrees for the five arm joints (0 = the
// middle of the calibrated range) and 0..100 % of the range for the gripper (0 closed, 100 open), see
// hw/calibration.h for the formulas.
//
//  - Connect(): opens the port and does LeRobot's handshake: every id answers a PING with model 777, and
//    all firmware versions are equal; otherwise HandshakeError naming the port and the ids.
//  - Configure(): as LeRobot's configure() (torque off meanwhile): Return_Delay_Time 0, Maximum_Acceleration
//    and Acceleration 254, Phase bit 4 cleared, Operating_Mode 0 (position), P 16, I 0, D 32; gripper
//    Max_Torque_Limit 500 (50 %), Protection_Current 250, Overload_Torque 25 (%). Writes the calibration's
//    Homing_Offset/Min/Max_Position_Limit when the servos differ from it. Then TorqueOn(). If a write
//    fails, torque stays off (LeRobot's torque_disabled() would turn it back on).
//  - TorqueOn(): Goal_Position := Present_Position first (a servo with torque on drives to its stale
//    goal, e.g. after the arm was moved by hand), then Torque_Enable 1, Lock 1.
//  - SendGoal(): every goal is checked against the calibrated range BEFORE anything is sent (not even the
//    present-position read); then, if max_relative_target is set (the default), each goal is clipped to
//    present +- cap in normalized units (LeRobot's ensure_safe_goal_position), and one SYNC_WRITE sends it.
//  - Disconnect() and the destructor turn torque off (Torque_Enable 0, Lock 0; 5 retries); the destructor
//    never throws and runs during exception unwinding too.
// Bounded retries are the bus's num_retry (LeRobot: 2 for Present_Position reads, 5 for torque off).
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/so100_layout.h"
#include "hw/calibration.h"
#include "hw/calibration_procedure.h"
#include "hw/feetech/bus.h"

namespace s2r::hw {

using JointValues = std::array<double, so100::kNumJoints>;  // per joint, in normalized units

// Default per-step cap |goal - present|: 10 deg for the arm joints, 10 % for the gripper (the spec's
// advice: 5-10 deg; LeRobot's own default is no cap).
inline constexpr double kDefaultMaxRelativeTarget = 10.0;

struct So100FollowerConfig {
  std::string port;                  // e.g. /dev/ttyACM0
  int baud = feetech::kDefaultBaud;  // 1 Mbps
  std::string id;                    // the calibration id (names the robot in messages)
  bool use_degrees = true;           // arm joints in DEGREES (false: RANGE_M100_100, older LeRobot)
  // LeRobot: RANGE_0_100. ManiSkill's LeRobotRealAgent forces DEGREES for the gripper too.
  MotorNormMode gripper_norm_mode = MotorNormMode::kRange0To100;
  // Per joint cap per SendGoal in normalized units; nullopt: none. Each cap must be > 0.
  std::optional<JointValues> max_relative_target = UniformCap(kDefaultMaxRelativeTarget);
  int num_retry = 2;           // bus retries for reads and writes (LeRobot's num_read_retries)
  int torque_off_retries = 5;  // LeRobot's disconnect
  feetech::BusOptions bus_options;

  static JointValues UniformCap(double cap) {
    JointValues v;
    v.fill(cap);
    return v;
  }
};

// The handshake failed: ids missing, wrong models, or mixed firmware. what() names the port and ids.
class HandshakeError : public IoError {
 public:
  HandshakeError(std::string port, std::vector<int> ids, const std::string& what)
      : IoError(what), port_(std::move(port)), ids_(std::move(ids)) {}
  const std::string& port() const { return port_; }
  const std::vector<int>& ids() const { return ids_; }  // the ids at fault

 private:
  std::string port_;
  std::vector<int> ids_;
};

// A goal outside a joint's calibrated range; thrown before anything is sent.
class GoalLimitError : public std::out_of_range {
 public:
  GoalLimitError(int joint, const std::string& what) : std::out_of_range(what), joint_(joint) {}
  int joint() const { return joint_; }  // index in so100::kJointNames

 private:
  int joint_;
};

class So100Follower {
 public:
  // `calibration` may be absent (then only Connect, Calibrate and torque control work).
  explicit So100Follower(So100FollowerConfig config, std::optional<Calibration> calibration = std::nullopt);
  ~So100Follower();  // torque off if connected; never throws
  So100Follower(const So100Follower&) = delete;
  So100Follower& operator=(const So100Follower&) = delete;

  // Opens the port and does the handshake. Throws SerialError, HandshakeError or the bus's errors (the port
  // is closed again on failure).
  void Connect();
  bool connected() const { return bus_ != nullptr; }
  void Configure();
  // LeRobot's calibration procedure (hw/calibration_procedure.h); becomes this follower's calibration.
  const Calibration& Calibrate(const CalibrationCallbacks& callbacks, CalibrationOptions options = {});
  // The servos hold this follower's offsets and limits (LeRobot's is_calibrated).
  bool IsCalibrated();
  // Torque off (EEPROM unlocked), then Homing_Offset/Min/Max_Position_Limit per servo. Torque stays off.
  void WriteCalibration();

  // Present positions in normalized units (errors bits in replies do not throw; see last_servo_errors).
  JointValues ReadPositions();
  // Sends goals (normalized units); returns the goals actually sent (after clipping). Throws
  // GoalLimitError (nothing sent), std::invalid_argument for a non-finite goal (nothing sent).
  JointValues SendGoal(const JointValues& goal);
  void TorqueOn();
  void TorqueOff();
  // Torque off, then close the port (closed even if torque off fails; the failure is rethrown).
  void Disconnect();

  const So100FollowerConfig& config() const { return config_; }
  const std::vector<JointSpec>& joints() const { return joints_; }
  const std::optional<Calibration>& calibration() const { return calibration_; }
  void SetCalibration(Calibration calibration);  // validated against the joints (ConfigError)
  // Calibrated range of joint i in normalized units {low, high} (low > high when drive_mode inverts).
  std::array<double, 2> Limits(int joint) const;
  feetech::FeetechBus& bus();                                                     // throws if not connected
  const std::vector<uint8_t>& last_servo_errors() const { return last_errors_; }  // ERR byte per joint

 private:
  feetech::FeetechBus& Bus(const char* what);
  const Calibration& Cal(const char* what) const;
  std::vector<int> Ids() const;
  std::vector<int> ReadRaw();
  void TorqueOffBestEffort() noexcept;

  So100FollowerConfig config_;
  std::vector<JointSpec> joints_;
  std::optional<Calibration> calibration_;
  std::unique_ptr<feetech::FeetechBus> bus_;
  std::vector<uint8_t> last_errors_;
};

// Checks a calibration against the follower's joints: same names (any order), ids, drive_mode 0/1,
// |homing_offset| <= 2047, 0 <= range_min < range_max <= 4095. Throws ConfigError naming `source`.
void ValidateCalibration(const Calibration& calibration, const std::vector<JointSpec>& joints,
                         const std::string& source);
// The SO-100/101 follower's joints for `config` (ids 1..6).
std::vector<JointSpec> So100Joints(const So100FollowerConfig& config);

}  // namespace s2r::hw
