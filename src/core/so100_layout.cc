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

}  // namespace s2r::so100
