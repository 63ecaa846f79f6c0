// The joint position controller shared by the simulated and the real arm: it turns a policy action into
// joint position targets exactly as ManiSkill's PD joint controllers do, so a policy sees the same
// action semantics in sim and on hardware.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

namespace s2r {

enum class ControlMode {
  kJointTargetDeltaPos,  // "pd_joint_target_delta_pos": target += scaled action (default)
  kJointDeltaPos,        // "pd_joint_delta_pos": target = measured qpos + scaled action
  kJointPos,             // "pd_joint_pos": target = action in radians, clipped to the joint limits
};

// Parses a ManiSkill control mode name; throws ConfigError naming `what` (the key or flag) otherwise.
ControlMode ParseControlMode(std::string_view name, std::string_view what);
std::string_view ControlModeName(ControlMode mode);

struct JointControllerSpec {
  // Per joint, radians. delta_*: the range [-1, 1] actions map to in the delta modes.
  std::vector<double> delta_low;
  std::vector<double> delta_high;
  // Joint limits, radians: the action range of pd_joint_pos.
  std::vector<double> pos_low;
  std::vector<double> pos_high;
  int num_joints() const { return static_cast<int>(delta_low.size()); }
};

// Computes the new joint targets for one env.
//   action: [J] float; delta modes clip it to [-1, 1] and map it linearly to [delta_low, delta_high].
//   qpos:   [J] measured joint positions, radians (used by kJointDeltaPos).
//   target: [J] in: previous targets, out: new targets, radians. The target variant does not clip the
//           accumulated target to the joint limits (as the reference controller does not).
void ApplyJointAction(ControlMode mode, const JointControllerSpec& spec, const float* action,
                      const double* qpos, double* target);

}  // namespace s2r
