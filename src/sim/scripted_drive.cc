#include "sim/scripted_drive.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace s2r::sim {

ScriptedDrive::ScriptedDrive(const mjModel* model)
    : chassis_body_(mj_name2id(model, mjOBJ_BODY, "chassis")),
      block_body_(mj_name2id(model, mjOBJ_BODY, "block")) {
  S2R_CHECK(chassis_body_ >= 0 && block_body_ >= 0, "ScriptedDrive needs the bodies chassis and block");
}

void ScriptedDrive::Act(const MjEnv& env, float* action) {
  const mjData* d = env.data();
  const double* c = d->xpos + 3 * chassis_body_;
  const double* r = d->xmat + 9 * chassis_body_;  // row-major: column 0 is the chassis's x axis
  const double* b = d->xpos + 3 * block_body_;
  const double dx = b[0] - c[0], dy = b[1] - c[1];
  const double yaw = std::atan2(r[3], r[0]);
  const double fx = std::cos(yaw) * dx + std::sin(yaw) * dy;   // block ahead of the chassis, m
  const double fy = -std::sin(yaw) * dx + std::cos(yaw) * dy;  // block to its left, m
  const double bearing = std::atan2(fy, fx);
  const double turn = std::clamp(kTurnGain * bearing, -kMaxTurn, kMaxTurn);
  const double forward = kCruise * std::max(0.0, 1.0 - std::fabs(bearing) / kStopBearing);
  action[0] = static_cast<float>(std::clamp(forward - turn, -1.0, 1.0));
  action[1] = static_cast<float>(std::clamp(forward + turn, -1.0, 1.0));
}

std::unique_ptr<ScriptedController> MakeScriptedDrive(const MjEnv& env) {
  return std::make_unique<ScriptedDrive>(env.model());
}

}  // namespace s2r::sim
