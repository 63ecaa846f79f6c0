// LeRobot motor calibrations: the per-joint record LeRobot keeps for each servo, its JSON file (read and
// written byte for byte as LeRobot's draccus writes it), where LeRobot looks for that file, and LeRobot's
// normalization of raw servo ticks into user units (../shared/specs/so100_hardware_reference.md, section 2).
//
// File format (draccus JSON, indent 4, keys in this order, no trailing newline):
//   {
//       "shoulder_pan": {
//           "id": 1,
//           "drive_mode": 0,
//           "homing_offset": -1599,
//           "range_min": 784,
//           "range_max": 3428
//       },
//       ...
//   }
//
// Normalization (r: raw ticks in the calibrated frame, i.e. Present_Position after Homing_Offset; mn, mx:
// range_min, range_max; d: drive_mode; int(): truncation toward zero, as Python's int()):
//   DEGREES         units = (r - (mn + mx) / 2) * 360 / 4095                       (not clamped; d ignored)
//                   r     = int(deg * 4095 / 360 + (mn + mx) / 2)                 (not clamped)
//   RANGE_0_100     units = (clamp(r, mn, mx) - mn) / (mx - mn) * 100,  100 - that if d
//                   r     = int(clamp(d ? 100 - v : v, 0, 100) / 100 * (mx - mn) + mn)
//   RANGE_M100_100  units = (clamp(r, mn, mx) - mn) / (mx - mn) * 200 - 100,  negated if d
//                   r     = int((clamp(d ? -v : v, -100, 100) + 100) / 200 * (mx - mn) + mn)
// 4095 is LeRobot's max_res (resolution 4096 - 1), so 1 tick = 360/4095 deg. LeRobot's gripper uses
// RANGE_0_100 (0 = closed, 100 = open); the arm joints DEGREES (use_degrees, LeRobot's default) or
// RANGE_M100_100. The Feetech bus applies drive_mode (apply_drive_mode = True), SO arms always write 0.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace s2r::hw {

// One servo's calibration, as LeRobot's MotorCalibration dataclass. Ticks are raw STS3215 units.
struct MotorCalibration {
  int id = 0;             // servo id on the bus
  int drive_mode = 0;     // 0 or 1 (1 inverts the RANGE_* modes)
  int homing_offset = 0;  // ticks, written to Homing_Offset (Present_Position = actual - offset), |.| <= 2047
  int range_min = 0;      // ticks, written to Min_Position_Limit
  int range_max = 4095;   // ticks, written to Max_Position_Limit
  bool operator==(const MotorCalibration&) const = default;
};

// Joint name -> MotorCalibration, in insertion order (the file's key order is kept on a round trip).
class Calibration {
 public:
  using Entry = std::pair<std::string, MotorCalibration>;

  // Replaces the joint's entry in place, or appends it.
  void Set(const std::string& joint, const MotorCalibration& motor);
  const MotorCalibration* Find(std::string_view joint) const;  // nullptr if absent
  // Throws ConfigError naming the joint if absent.
  const MotorCalibration& At(std::string_view joint) const;
  const std::vector<Entry>& entries() const { return entries_; }
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  std::vector<Entry>::const_iterator begin() const { return entries_.begin(); }
  std::vector<Entry>::const_iterator end() const { return entries_.end(); }
  bool operator==(const Calibration&) const = default;

 private:
  std::vector<Entry> entries_;
};

// ---------------------------------------------------------------------------------------------
// JSON

// LeRobot's bytes: Python's json.dump(indent=4) of {joint: {id, drive_mode, homing_offset, range_min,
// range_max}}: separators "," + newline and ": ", non-ASCII escaped as \uXXXX, no trailing newline.
std::string CalibrationToJson(const Calibration& calibration);
// Parses LeRobot's format. Every joint must be an object with exactly the five integer keys. Throws
// ConfigError naming `source` and the key ("shoulder_pan.range_min").
Calibration CalibrationFromJson(std::string_view text, const std::string& source);
// Reads a file (ConfigError naming the file if it is missing, unreadable or malformed).
Calibration ReadCalibrationFile(const std::filesystem::path& path);
// Writes atomically: a temporary file in the same folder, flushed to disk, then renamed over `path`;
// parent folders are created. Throws IoError naming the file.
void WriteCalibrationFile(const std::filesystem::path& path, const Calibration& calibration);

// ---------------------------------------------------------------------------------------------
// Where LeRobot keeps calibrations

// LeRobot's HF_LEROBOT_CALIBRATION: $HF_LEROBOT_CALIBRATION, else $HF_LEROBOT_HOME/calibration, else
// $HF_HOME/lerobot/calibration, else $XDG_CACHE_HOME/huggingface/lerobot/calibration, else
// ~/.cache/huggingface/lerobot/calibration. A leading "~" is expanded with $HOME; empty variables count
// as unset.
std::filesystem::path CalibrationRoot();

inline constexpr std::string_view kFollowerFolder = "so_follower";  // LeRobot >= Jan 2026
// Older LeRobot folders, also searched when reading.
inline constexpr std::string_view kLegacyFollowerFolders[] = {"so100_follower", "so101_follower"};

// Where a calibration of follower `id` is written: <dir>/<id>.json if `dir` is given (LeRobot's
// --robot.calibration_dir), else CalibrationRoot()/robots/so_follower/<id>.json.
std::filesystem::path FollowerCalibrationPath(std::string_view id,
                                              const std::optional<std::filesystem::path>& dir = std::nullopt);
// Where it is looked for, in order: with `dir` only <dir>/<id>.json; else robots/so_follower, then
// robots/so100_follower, then robots/so101_follower under CalibrationRoot().
std::vector<std::filesystem::path> FollowerCalibrationSearchPaths(
    std::string_view id, const std::optional<std::filesystem::path>& dir = std::nullopt);
// The first search path that exists, or nullopt.
std::optional<std::filesystem::path> FindFollowerCalibration(
    std::string_view id, const std::optional<std::filesystem::path>& dir = std::nullopt);

struct LoadedCalibration {
  std::filesystem::path path;
  Calibration calibration;
};
// Reads the first existing search path. Throws ConfigError listing every path tried if none exists.
LoadedCalibration LoadFollowerCalibration(std::string_view id,
                                          const std::optional<std::filesystem::path>& dir = std::nullopt);

// ---------------------------------------------------------------------------------------------
// Normalization

enum class MotorNormMode {
  kDegrees,        // LeRobot DEGREES: 0 at the middle of the range, 360/4095 deg per tick
  kRange0To100,    // LeRobot RANGE_0_100 (the gripper): % of the range
  kRangeM100To100  // LeRobot RANGE_M100_100 (arm joints with use_degrees=False)
};
std::string_view NormModeName(MotorNormMode mode);  // "degrees", "range_0_100", "range_m100_100"

// A servo of a LeRobot robot: its name (the calibration key), bus id and norm mode.
struct JointSpec {
  std::string name;
  int id = 0;
  MotorNormMode norm_mode = MotorNormMode::kDegrees;
};

inline constexpr double kMaxRes = 4095.0;  // LeRobot's model resolution - 1 (STS3215)

// Raw ticks -> units (degrees or %). Throws ConfigError if range_min == range_max (naming the id).
double Normalize(const MotorCalibration& motor, MotorNormMode mode, int raw);
// Units -> raw ticks (truncated toward zero, unclamped for DEGREES, so the result may leave
// [range_min, range_max] or even 0..4095: callers check). Throws ConfigError as Normalize and
// std::invalid_argument for a non-finite value or a result beyond +-1e9 ticks.
int Unnormalize(const MotorCalibration& motor, MotorNormMode mode, double value);

}  // namespace s2r::hw
