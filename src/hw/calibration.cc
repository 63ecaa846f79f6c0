#include "hw/calibration.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/atomic_file.h"
#include "core/error.h"

namespace s2r::hw {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

namespace {

// The dataclass fields, in LeRobot's order.
constexpr const char* kKeys[] = {"id", "drive_mode", "homing_offset", "range_min", "range_max"};

int* Field(MotorCalibration& m, std::string_view key) {
  if (key == "id") return &m.id;
  if (key == "drive_mode") return &m.drive_mode;
  if (key == "homing_offset") return &m.homing_offset;
  if (key == "range_min") return &m.range_min;
  if (key == "range_max") return &m.range_max;
  return nullptr;
}

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

// Python's Path.expanduser for the forms LeRobot meets: "~" and "~/...".
fs::path ExpandUser(const std::string& p) {
  if (p == "~" || p.rfind("~/", 0) == 0) {
    const std::string home = Env("HOME");
    if (!home.empty()) return fs::path(home + p.substr(1));
  }
  return fs::path(p);
}

std::string Quoted(const fs::path& p) { return "'" + p.string() + "'"; }

}  // namespace

// ---------------------------------------------------------------------------------------------
// Calibration

void Calibration::Set(const std::string& joint, const MotorCalibration& motor) {
  for (Entry& e : entries_) {
    if (e.first == joint) {
      e.second = motor;
      return;
    }
  }
  entries_.emplace_back(joint, motor);
}

const MotorCalibration* Calibration::Find(std::string_view joint) const {
  for (const Entry& e : entries_) {
    if (e.first == joint) return &e.second;
  }
  return nullptr;
}

const MotorCalibration& Calibration::At(std::string_view joint) const {
  const MotorCalibration* m = Find(joint);
  if (!m) throw ConfigError("calibration has no joint '" + std::string(joint) + "'");
  return *m;
}

// ---------------------------------------------------------------------------------------------
// JSON

std::string CalibrationToJson(const Calibration& calibration) {
  Json root = Json::object();
  for (const auto& [joint, m] : calibration) {
    Json motor = Json::object();
    MotorCalibration copy = m;
    for (const char* key : kKeys) motor[key] = *Field(copy, key);
    root[joint] = std::move(motor);
  }
  // Python json.dump(indent=4, ensure_ascii=True): the same layout as nlohmann's dump(4, ' ', true).
  return root.dump(4, ' ', /*ensure_ascii=*/true);
}

Calibration CalibrationFromJson(std::string_view text, const std::string& source) {
  Json root;
  try {
    root = Json::parse(text);
  } catch (const Json::parse_error& e) {
    throw ConfigError(source + ": not valid JSON: " + e.what());
  }
  if (!root.is_object())
    throw ConfigError(source + ": expected a JSON object {joint: {id, drive_mode, ...}}, got " +
                      std::string(root.type_name()));
  Calibration out;
  for (const auto& [joint, value] : root.items()) {
    if (!value.is_object())
      throw ConfigError(source + ": key '" + joint + "': expected an object, got " +
                        std::string(value.type_name()));
    MotorCalibration m;
    for (const auto& [key, v] : value.items()) {
      int* field = Field(m, key);
      if (!field)
        throw ConfigError(source + ": key '" + joint + "." + key +
                          "' is not a MotorCalibration field (id, drive_mode, homing_offset, range_min, "
                          "range_max)");
      const bool is_int = v.is_number_integer();
      const int64_t n = is_int ? v.get<int64_t>() : 0;
      if (!is_int || (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t{INT32_MAX}) || n < INT32_MIN ||
          n > INT32_MAX)
        throw ConfigError(source + ": key '" + joint + "." + key + "': expected an integer, got " + v.dump());
      *field = static_cast<int>(n);
    }
    for (const char* key : kKeys) {
      if (!value.contains(key)) throw ConfigError(source + ": key '" + joint + "." + key + "' is missing");
    }
    out.Set(joint, m);
  }
  return out;
}

Calibration ReadCalibrationFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError("calibration file " + Quoted(path) + ": cannot open: " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw ConfigError("calibration file " + Quoted(path) + ": read error");
  return CalibrationFromJson(text.str(), "calibration file " + Quoted(path));
}

void WriteCalibrationFile(const fs::path& path, const Calibration& calibration) {
  const std::string text = CalibrationToJson(calibration);
  const std::string what = "calibration file " + Quoted(path);
  std::error_code ec;
  const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  fs::create_directories(dir, ec);
  if (ec) throw IoError(what + ": cannot create folder " + Quoted(dir) + ": " + ec.message());
  WriteFileAtomic(path.string(), text, what);
}

// ---------------------------------------------------------------------------------------------
// Locations

fs::path CalibrationRoot() {
  if (const std::string v = Env("HF_LEROBOT_CALIBRATION"); !v.empty()) return ExpandUser(v);
  if (const std::string v = Env("HF_LEROBOT_HOME"); !v.empty()) return ExpandUser(v) / "calibration";
  fs::path hf_home;
  if (const std::string v = Env("HF_HOME"); !v.empty()) {
    hf_home = ExpandUser(v);
  } else {
    const std::string xdg = Env("XDG_CACHE_HOME");
    hf_home = ExpandUser(xdg.empty() ? std::string("~/.cache") : xdg) / "huggingface";
  }
  return hf_home / "lerobot" / "calibration";
}

fs::path FollowerCalibrationPath(std::string_view id, const std::optional<fs::path>& dir) {
  const std::string file = std::string(id) + ".json";
  if (dir) return *dir / file;
  return CalibrationRoot() / "robots" / std::string(kFollowerFolder) / file;
}

std::vector<fs::path> FollowerCalibrationSearchPaths(std::string_view id,
                                                     const std::optional<fs::path>& dir) {
  if (dir) return {FollowerCalibrationPath(id, dir)};
  const std::string file = std::string(id) + ".json";
  const fs::path robots = CalibrationRoot() / "robots";
  std::vector<fs::path> out = {robots / std::string(kFollowerFolder) / file};
  for (std::string_view legacy : kLegacyFollowerFolders) out.push_back(robots / std::string(legacy) / file);
  return out;
}

std::optional<fs::path> FindFollowerCalibration(std::string_view id, const std::optional<fs::path>& dir) {
  for (const fs::path& p : FollowerCalibrationSearchPaths(id, dir)) {
    std::error_code ec;
    if (fs::is_regular_file(p, ec)) return p;
  }
  return std::nullopt;
}

LoadedCalibration LoadFollowerCalibration(std::string_view id, const std::optional<fs::path>& dir) {
  if (const auto found = FindFollowerCalibration(id, dir)) return {*found, ReadCalibrationFile(*found)};
  std::string tried;
  for (const fs::path& p : FollowerCalibrationSearchPaths(id, dir)) tried += "\n  " + p.string();
  throw ConfigError("no calibration file for follower id '" + std::string(id) + "'; tried:" + tried +
                    "\n(run `sim2real calibrate --robot so100 --port PORT --id " + std::string(id) + "`)");
}

// ---------------------------------------------------------------------------------------------
// Normalization

std::string_view NormModeName(MotorNormMode mode) {
  switch (mode) {
    case MotorNormMode::kDegrees:
      return "degrees";
    case MotorNormMode::kRange0To100:
      return "range_0_100";
    case MotorNormMode::kRangeM100To100:
      return "range_m100_100";
  }
  return "?";
}

namespace {
void CheckRange(const MotorCalibration& m) {
  if (m.range_min == m.range_max)
    throw ConfigError("invalid calibration for motor id " + std::to_string(m.id) +
                      ": range_min and range_max are equal (" + std::to_string(m.range_min) + ")");
}
}  // namespace

double Normalize(const MotorCalibration& m, MotorNormMode mode, int raw) {
  CheckRange(m);
  const double mn = m.range_min, mx = m.range_max, val = raw;
  const double bounded = std::min(mx, std::max(mn, val));  // Python's min(max_, max(min_, val))
  switch (mode) {
    case MotorNormMode::kDegrees: {
      const double mid = (mn + mx) / 2;
      return (val - mid) * 360 / kMaxRes;
    }
    case MotorNormMode::kRange0To100: {
      const double norm = ((bounded - mn) / (mx - mn)) * 100;
      return m.drive_mode ? 100 - norm : norm;
    }
    case MotorNormMode::kRangeM100To100: {
      const double norm = (((bounded - mn) / (mx - mn)) * 200) - 100;
      return m.drive_mode ? -norm : norm;
    }
  }
  throw std::invalid_argument("Normalize: unknown norm mode");
}

int Unnormalize(const MotorCalibration& m, MotorNormMode mode, double value) {
  CheckRange(m);
  if (!std::isfinite(value))
    throw std::invalid_argument("motor id " + std::to_string(m.id) + ": goal is not a finite number");
  const double mn = m.range_min, mx = m.range_max;
  double raw = 0;
  switch (mode) {
    case MotorNormMode::kDegrees:
      raw = value * kMaxRes / 360 + (mn + mx) / 2;
      break;
    case MotorNormMode::kRange0To100: {
      const double v = m.drive_mode ? 100 - value : value;
      raw = (std::min(100.0, std::max(0.0, v)) / 100) * (mx - mn) + mn;
      break;
    }
    case MotorNormMode::kRangeM100To100: {
      const double v = m.drive_mode ? -value : value;
      raw = ((std::min(100.0, std::max(-100.0, v)) + 100) / 200) * (mx - mn) + mn;
      break;
    }
  }
  if (std::abs(raw) > 1e9)
    throw std::invalid_argument("motor id " + std::to_string(m.id) + ": goal " + std::to_string(value) +
                                " is far outside any servo range");
  return static_cast<int>(std::trunc(raw));  // Python's int(): toward zero
}

}  // namespace s2r::hw
