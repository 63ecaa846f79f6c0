// Mapping between the twin's joint radians and the robot's LeRobot-calibrated degrees:
//   degrees = sign * radians * 180 / pi + offset_deg
// The per-joint sign and offset live in configs/robots/<robot>.json (key "joint_map"), nowhere else.
#pragma once

#include <array>
#include <string>
#include <vector>

namespace s2r {

struct JointMapEntry {
  std::string name;
  double sign = 1.0;        // +1 or -1
  double offset_deg = 0.0;  // LeRobot degrees at sim radian 0
};

struct JointMap {
  std::vector<JointMapEntry> joints;  // in the robot's joint order

  double ToDegrees(int joint, double radians) const;
  double ToRadians(int joint, double degrees) const;
  // Throws ConfigError naming `source` if the joint names differ from `expected` or a sign is not +-1.
  void Validate(const std::vector<std::string>& expected, const std::string& source) const;
};

}  // namespace s2r
