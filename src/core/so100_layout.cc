#include "core/so100_layout.h"

namespace s2r::so100 {

JointControllerSpec ControllerSpec() {
  JointControllerSpec spec;
  for (int j = 0; j < kNumJoints; ++j) {
    const double d = j < kNumArmJoints ? kArmDeltaPerStep : kGripperDeltaPerStep;
    spec.delta_low.push_back(-d);
    spec.delta_high.push_back(d);
    spec.pos_low.push_back(kJointLow[j]);
    spec.pos_high.push_back(kJointHigh[j]);
  }
  return spec;
}

void WriteProprioObs(const double* qpos, const double* target, float* obs) {
  for (int j = 0; j < kNumJoints; ++j) {
    obs[obs::kQpos + j] = static_cast<float>(qpos[j]);
    obs[obs::kTargetQpos + j] = static_cast<float>(target[j]);
  }
  for (int j = 0; j < kNumArmJoints; ++j)
    obs[obs::kDistToRest + j] = static_cast<float>(target[j] - kRestQpos[j]);
}

ResetDraw DrawReset(Rng& rng, const ResetDistribution& d) {
  ResetDraw r;
  for (int j = 0; j < kNumJoints; ++j) r.qpos[j] = kRestQpos[j] + d.qpos_noise * rng.Normal();
  const double h = d.spawn_half_size;
  r.cube_x = d.spawn_center[0] + rng.Uniform(-h, h);
  r.cube_y = d.spawn_center[1] + rng.Uniform(-h, h);
  r.cube_yaw = rng.Uniform(-kPi, kPi);
  return r;
}

}  // namespace s2r::so100
