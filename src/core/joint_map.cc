#include "core/joint_map.h"

#include "core/error.h"

namespace s2r {

namespace {
constexpr double kRadToDeg = 180.0 / 3.14159265358979323846;
}

double JointMap::ToDegrees(int joint, double radians) const {
  const auto& e = joints.at(static_cast<size_t>(joint));
  return e.sign * radians * kRadToDeg + e.offset_deg;
}

double JointMap::ToRadians(int joint, double degrees) const {
  const auto& e = joints.at(static_cast<size_t>(joint));
  return (degrees - e.offset_deg) / kRadToDeg * e.sign;
}

void JointMap::Validate(const std::vector<std::string>& expected, const std::string& source) const {
  if (joints.size() != expected.size())
    throw ConfigError(source + ": key 'joint_map' has " + std::to_string(joints.size()) +
                      " joints; expected " + std::to_string(expected.size()));
  for (size_t i = 0; i < joints.size(); ++i) {
    if (joints[i].name != expected[i])
      throw ConfigError(source + ": key 'joint_map[" + std::to_string(i) + "].name' is '" + joints[i].name +
                        "'; expected '" + expected[i] + "'");
    if (joints[i].sign != 1.0 && joints[i].sign != -1.0)
      throw ConfigError(source + ": key 'joint_map[" + std::to_string(i) + "].sign' must be 1 or -1");
  }
}

}  // namespace s2r
