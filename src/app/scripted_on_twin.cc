#include "app/scripted_on_twin.h"

namespace s2r::app {

ScriptedOnTwin::ScriptedOnTwin(const sim::GraspCubeConfig& cfg, uint64_t seed)
    : twin_(sim::LoadGraspCubeScene(cfg), std::make_shared<const sim::GraspCubeConfig>(cfg), seed, 0),
      controller_(twin_.model()) {}

void ScriptedOnTwin::Act(const deploy::RealGraspCubeEnv& env, float* action) {
  twin_.SetRobotJoints(env.qpos(), env.qvel());
  twin_.set_target_qpos(env.target());  // the real controller's, which lag the measured joints
  twin_.PlaceObject(env.scene().cube_x, env.scene().cube_y, env.scene().cube_yaw);
  twin_.Refresh();
  controller_.Act(twin_, action);
}

}  // namespace s2r::app
