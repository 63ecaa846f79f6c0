// The Feetech STS3215 control table as LeRobot drives it (../shared/specs/so100_hardware_reference.md,
// section 1): every register with its address, size in bytes, sign-magnitude sign bit, memory area and the
// range the bus API accepts on a write. Multi-byte values are little-endian ("protocol 0").
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace s2r::hw::feetech {

inline constexpr int kModelNumberSts3215 = 777;
inline constexpr int kDefaultBaud = 1000000;
inline constexpr int kResolution = 4096;  // ticks per turn
inline constexpr int kMaxRawPosition = 4095;

// Baud_Rate register (addr 6) codes: index = code.
inline constexpr std::array<int, 8> kBaudRateByCode = {1000000, 500000, 250000, 128000,
                                                       115200,  57600,  38400,  19200};
// The rates LeRobot tries when scanning a port, lowest first.
inline constexpr std::array<int, 11> kScanBauds = {4800,   9600,   14400,  19200,  38400,  57600,
                                                   115200, 128000, 250000, 500000, 1000000};

// Baud for a Baud_Rate code, or nullopt for an unknown code.
constexpr std::optional<int> BaudFromCode(int code) {
  if (code < 0 || code >= static_cast<int>(kBaudRateByCode.size())) return std::nullopt;
  return kBaudRateByCode[code];
}
// Baud_Rate code for a baud, or nullopt if the STS cannot run at it.
constexpr std::optional<int> CodeFromBaud(int baud) {
  for (int i = 0; i < static_cast<int>(kBaudRateByCode.size()); ++i) {
    if (kBaudRateByCode[i] == baud) return i;
  }
  return std::nullopt;
}

enum class Register : uint8_t {
  // EEPROM (addresses 0..39)
  kFirmwareMajor,
  kFirmwareMinor,
  kModelNumber,
  kId,
  kBaudRate,
  kReturnDelayTime,
  kResponseStatusLevel,
  kMinPositionLimit,
  kMaxPositionLimit,
  kMaxTemperatureLimit,
  kMaxVoltageLimit,
  kMinVoltageLimit,
  kMaxTorqueLimit,
  kPhase,
  kUnloadingCondition,
  kLedAlarmCondition,
  kPCoefficient,
  kDCoefficient,
  kICoefficient,
  kMinimumStartupForce,
  kCwDeadZone,
  kCcwDeadZone,
  kProtectionCurrent,
  kAngularResolution,
  kHomingOffset,
  kOperatingMode,
  kProtectiveTorque,
  kProtectionTime,
  kOverloadTorque,
  kVelocityP,
  kOverCurrentProtectionTime,
  kVelocityI,
  // SRAM (addresses 40..70)
  kTorqueEnable,
  kAcceleration,
  kGoalPosition,
  kGoalTime,
  kGoalVelocity,
  kTorqueLimit,
  kLock,
  kPresentPosition,
  kPresentVelocity,
  kPresentLoad,
  kPresentVoltage,
  kPresentTemperature,
  kStatus,
  kMoving,
  kPresentCurrent,
  // Factory area (80..86)
  kMaximumAcceleration,
};

struct RegisterInfo {
  Register reg;
  std::string_view name;  // LeRobot's name, e.g. "Goal_Position"
  uint8_t address;
  uint8_t size;       // bytes: 1 or 2
  int8_t sign_bit;    // sign-magnitude sign bit (10, 11 or 15); -1: unsigned
  bool eeprom;        // persistent area (EEPROM or factory area): written only while unlocked
  bool read_only;     // the bus refuses to write it
  int32_t min_value;  // range the bus accepts on a write (decoded value)
  int32_t max_value;
};

namespace internal {
constexpr RegisterInfo R(Register r, std::string_view name, int addr, int size, int sign_bit, bool eeprom,
                         bool read_only, int32_t lo, int32_t hi) {
  RegisterInfo info{};
  info.reg = r;
  info.name = name;
  info.address = static_cast<uint8_t>(addr);
  info.size = static_cast<uint8_t>(size);
  info.sign_bit = static_cast<int8_t>(sign_bit);
  info.eeprom = eeprom;
  info.read_only = read_only;
  info.min_value = lo;
  info.max_value = hi;
  return info;
}
}  // namespace internal

// Indexed by Register. Ranges: ticks 0..4095 for positions, 1000 = 100% for torque limits, % for
// Overload/Protective_Torque, 0.1 V for voltages, 2 us for Return_Delay_Time. Unknown semantics: full width.
inline constexpr std::array<RegisterInfo, 48> kRegisters = {{
    internal::R(Register::kFirmwareMajor, "Firmware_Major_Version", 0, 1, -1, true, true, 0, 255),
    internal::R(Register::kFirmwareMinor, "Firmware_Minor_Version", 1, 1, -1, true, true, 0, 255),
    internal::R(Register::kModelNumber, "Model_Number", 3, 2, -1, true, true, 0, 65535),
    internal::R(Register::kId, "ID", 5, 1, -1, true, false, 0, 252),
    internal::R(Register::kBaudRate, "Baud_Rate", 6, 1, -1, true, false, 0, 7),
    internal::R(Register::kReturnDelayTime, "Return_Delay_Time", 7, 1, -1, true, false, 0, 254),
    internal::R(Register::kResponseStatusLevel, "Response_Status_Level", 8, 1, -1, true, false, 0, 1),
    internal::R(Register::kMinPositionLimit, "Min_Position_Limit", 9, 2, -1, true, false, 0, 4095),
    internal::R(Register::kMaxPositionLimit, "Max_Position_Limit", 11, 2, -1, true, false, 0, 4095),
    internal::R(Register::kMaxTemperatureLimit, "Max_Temperature_Limit", 13, 1, -1, true, false, 0, 100),
    internal::R(Register::kMaxVoltageLimit, "Max_Voltage_Limit", 14, 1, -1, true, false, 0, 254),
    internal::R(Register::kMinVoltageLimit, "Min_Voltage_Limit", 15, 1, -1, true, false, 0, 254),
    internal::R(Register::kMaxTorqueLimit, "Max_Torque_Limit", 16, 2, -1, true, false, 0, 1000),
    internal::R(Register::kPhase, "Phase", 18, 1, -1, true, false, 0, 255),
    internal::R(Register::kUnloadingCondition, "Unloading_Condition", 19, 1, -1, true, false, 0, 255),
    internal::R(Register::kLedAlarmCondition, "LED_Alarm_Condition", 20, 1, -1, true, false, 0, 255),
    internal::R(Register::kPCoefficient, "P_Coefficient", 21, 1, -1, true, false, 0, 255),
    internal::R(Register::kDCoefficient, "D_Coefficient", 22, 1, -1, true, false, 0, 255),
    internal::R(Register::kICoefficient, "I_Coefficient", 23, 1, -1, true, false, 0, 255),
    internal::R(Register::kMinimumStartupForce, "Minimum_Startup_Force", 24, 2, -1, true, false, 0, 1000),
    internal::R(Register::kCwDeadZone, "CW_Dead_Zone", 26, 1, -1, true, false, 0, 255),
    internal::R(Register::kCcwDeadZone, "CCW_Dead_Zone", 27, 1, -1, true, false, 0, 255),
    internal::R(Register::kProtectionCurrent, "Protection_Current", 28, 2, -1, true, false, 0, 1023),
    internal::R(Register::kAngularResolution, "Angular_Resolution", 30, 1, -1, true, false, 0, 255),
    internal::R(Register::kHomingOffset, "Homing_Offset", 31, 2, 11, true, false, -2047, 2047),
    internal::R(Register::kOperatingMode, "Operating_Mode", 33, 1, -1, true, false, 0, 3),
    internal::R(Register::kProtectiveTorque, "Protective_Torque", 34, 1, -1, true, false, 0, 100),
    internal::R(Register::kProtectionTime, "Protection_Time", 35, 1, -1, true, false, 0, 255),
    internal::R(Register::kOverloadTorque, "Overload_Torque", 36, 1, -1, true, false, 0, 100),
    internal::R(Register::kVelocityP, "Velocity_closed_loop_P_proportional_coefficient", 37, 1, -1, true,
                false, 0, 255),
    internal::R(Register::kOverCurrentProtectionTime, "Over_Current_Protection_Time", 38, 1, -1, true, false,
                0, 255),
    internal::R(Register::kVelocityI, "Velocity_closed_loop_I_integral_coefficient", 39, 1, -1, true, false,
                0, 255),
    // Torque_Enable 128 would re-centre the servo: refused (0 off, 1 on).
    internal::R(Register::kTorqueEnable, "Torque_Enable", 40, 1, -1, false, false, 0, 1),
    internal::R(Register::kAcceleration, "Acceleration", 41, 1, -1, false, false, 0, 254),
    internal::R(Register::kGoalPosition, "Goal_Position", 42, 2, 15, false, false, 0, 4095),
    internal::R(Register::kGoalTime, "Goal_Time", 44, 2, -1, false, false, 0, 65535),
    internal::R(Register::kGoalVelocity, "Goal_Velocity", 46, 2, 15, false, false, -32767, 32767),
    internal::R(Register::kTorqueLimit, "Torque_Limit", 48, 2, -1, false, false, 0, 1000),
    internal::R(Register::kLock, "Lock", 55, 1, -1, false, false, 0, 1),
    internal::R(Register::kPresentPosition, "Present_Position", 56, 2, 15, false, true, -32767, 32767),
    internal::R(Register::kPresentVelocity, "Present_Velocity", 58, 2, 15, false, true, -32767, 32767),
    internal::R(Register::kPresentLoad, "Present_Load", 60, 2, 10, false, true, -1023, 1023),
    internal::R(Register::kPresentVoltage, "Present_Voltage", 62, 1, -1, false, true, 0, 255),
    internal::R(Register::kPresentTemperature, "Present_Temperature", 63, 1, -1, false, true, 0, 255),
    internal::R(Register::kStatus, "Status", 65, 1, -1, false, true, 0, 255),
    internal::R(Register::kMoving, "Moving", 66, 1, -1, false, true, 0, 255),
    internal::R(Register::kPresentCurrent, "Present_Current", 69, 2, -1, false, true, 0, 65535),
    internal::R(Register::kMaximumAcceleration, "Maximum_Acceleration", 85, 1, -1, true, false, 0, 254),
}};

constexpr const RegisterInfo& Info(Register r) { return kRegisters[static_cast<size_t>(r)]; }
constexpr std::string_view RegisterName(Register r) { return Info(r).name; }

// Register by LeRobot name ("Goal_Position"), or nullopt.
constexpr std::optional<Register> RegisterByName(std::string_view name) {
  for (const RegisterInfo& info : kRegisters) {
    if (info.name == name) return info.reg;
  }
  return std::nullopt;
}

// The table is indexed by its enum: checked at compile time.
constexpr bool RegistersInEnumOrder() {
  for (size_t i = 0; i < kRegisters.size(); ++i) {
    if (static_cast<size_t>(kRegisters[i].reg) != i) return false;
  }
  return true;
}
static_assert(RegistersInEnumOrder(), "kRegisters must follow the Register enum order");
static_assert(Info(Register::kGoalPosition).address == 42 && Info(Register::kLock).address == 55);

// Address boundaries.
inline constexpr int kEepromEnd = 40;         // [0, 40): EEPROM
inline constexpr int kFactoryAreaBegin = 80;  // [80, 87): factory area (persistent, like EEPROM)
inline constexpr int kFactoryAreaEnd = 87;
inline constexpr int kControlTableSize = 256;  // bytes addressable by READ/WRITE

}  // namespace s2r::hw::feetech
