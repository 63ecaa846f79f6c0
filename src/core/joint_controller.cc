#include "core/joint_controller.h"

#include <algorithm>

#include "core/error.h"

namespace s2r {

ControlMode ParseControlMode(std::string_view name, std::string_view what) {
  if (name == "pd_joint_target_delta_pos") return ControlMode::kJointTargetDeltaPos;
  if (name == "pd_joint_delta_pos") return ControlMode::kJointDeltaPos;
  if (name == "pd_joint_pos") return ControlMode::kJointPos;
  throw ConfigError(std::string(what) + ": unknown control mode '" + std::string(name) +
                    "'; expected one of pd_joint_target_delta_pos, pd_joint_delta_pos, pd_joint_pos");
}

std::string_view ControlModeName(ControlMode mode) {
  switch (mode) {
    case ControlMode::kJointTargetDeltaPos:
      return "pd_joint_target_delta_pos";
    case ControlMode::kJointDeltaPos:
      return "pd_joint_delta_pos";
    case ControlMode::kJointPos:
      return "pd_joint_pos";
  }
  return "?";
}

void ApplyJointAction(ControlMode mode, const JointControllerSpec& spec, const float* action,
                      const double* qpos, double* target) {
  const int n = spec.num_joints();
  for (int j = 0; j < n; ++j) {
    const double a = static_cast<double>(action[j]);
    if (mode == ControlMode::kJointPos) {
      target[j] = std::clamp(a, spec.pos_low[j], spec.pos_high[j]);
      continue;
    }
    const double u = std::clamp(a, -1.0, 1.0);
    const double delta = spec.delta_low[j] + (u + 1.0) * 0.5 * (spec.delta_high[j] - spec.delta_low[j]);
    target[j] = (mode == ControlMode::kJointTargetDeltaPos ? target[j] : qpos[j]) + delta;
  }
}

}  // namespace s2r
