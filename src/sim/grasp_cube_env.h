// SO100GraspCube-v1: the SO-100 arm grasps a ~2.5 cm cube and lifts it back toward its rest pose
// (the ManiSkill task of the same name, on the project's own MuJoCo model).
#pragma once

#include <array>
#include <memory>
#include <span>

#include "core/rng.h"
#include "core/so100_layout.h"
#include "render/batch_renderer.h"
#include "render/camera.h"
#include "render/greenscreen.h"
#include "sim/env_ids.h"
#include "sim/grasp_cube_config.h"
#include "sim/mj_env.h"
#include "sim/mj_handles.h"

namespace s2r::sim {

// Indices into the compiled model, resolved once per model.
struct GraspCubeIds {
  std::array<int, so100::kNumJoints> qpos_adr{}, dof_adr{}, actuator{};
  int cube_body = -1, cube_geom = -1, cube_qpos_adr = -1, cube_dof_adr = -1;
  int fixed_jaw_body = -1, moving_jaw_body = -1;
  int fixed_tip_site = -1, moving_tip_site = -1;
  int table_geom = -1;
  std::vector<int> robot_geoms;  // every geom of the robot's bodies
};

// The compiled scene shared (read-only) by every env of a batch.
struct GraspCubeScene {
  MjModelPtr model;
  GraspCubeIds ids;
  std::string robot_file;
  std::array<bool, 256> keep{};  // segmentation ids (body + 1) the greenscreen keeps: robot links, cube
  std::shared_ptr<const render::BatchRenderer> renderer;   // the policy camera at the sensor size
  std::shared_ptr<const render::Greenscreen> greenscreen;  // null without a photo or in mode none
};

// Compiles the scene with the configured robot MJCF and checks the names the task needs; loads the
// greenscreen photo (resized to the sensor, no crop) and tessellates the geoms for the renderer.
std::shared_ptr<const GraspCubeScene> LoadGraspCubeScene(const GraspCubeConfig& cfg);

// The named observation of each mode: rgb's 17 values are the first 17 of state's 31.
std::vector<std::string> GraspCubeObsNames(ObsMode mode);
EnvSpec GraspCubeSpec(const GraspCubeConfig& cfg);

// Task quantities computed from the current state (after kinematics and the last step's contacts).
struct GraspCubeEval {
  double tcp_to_obj_dist = 0;          // m
  double distance_to_rest_qpos = 0;    // rad, |target_qpos[:5] - rest_qpos[:5]|
  double jaw_cube_force[2] = {0, 0};   // N, contact force of the cube on the fixed / moving jaw
  double jaw_cube_angle[2] = {0, 0};   // deg, between that force and the jaw's opening direction
  double jaw_table_force[2] = {0, 0};  // N
  bool is_grasped = false, reached_object = false, touching_table = false, cube_lifted = false,
       success = false;
};

// The reward terms of the reference task, on given quantities.
// dense = (1 - tanh(5 d)) + G + G * exp(-2 |q_tgt[:5] - q_rest[:5]|) - 2 T, in [-2, 3].
double GraspCubeDenseReward(const GraspCubeEval& e);
double GraspCubeReward(const GraspCubeEval& e, RewardMode mode);

// Load-time visual randomization drawn per env (the renderer reads it).
struct GraspCubeVisuals {
  double fov = 0;  // rad, base fov + per-env noise
  std::array<double, 3> ambient = {0.3, 0.3, 0.3};
  std::array<float, 4> cube_rgba = {1, 0, 0, 1};
};

class GraspCubeEnv final : public MjEnv {
 public:
  GraspCubeEnv(std::shared_ptr<const GraspCubeScene> scene, std::shared_ptr<const GraspCubeConfig> cfg,
               uint64_t seed, int index);

  void Reset(bool reconfigure) override;
  bool Step(const float* action) override;
  void WriteObs(float* obs) const override;
  void WritePrivilegedObs(float* obs) const override;  // the state-mode observation [31]
  void WriteInfo(float* info) const override;
  // The policy camera image at the sensor size, greenscreened as configured.
  void RenderObs(uint8_t* image) const override;
  float reward() const override { return static_cast<float>(reward_); }
  bool terminated() const override { return eval_.success; }
  bool success() const override { return eval_.success; }

  // Recomputes kinematics and the task quantities from the current mjData (call after editing state).
  void Refresh() override;
  // State edits (call Refresh() after): the arm at qpos [6] rad (qvel [6] rad/s, empty: at rest) with its
  // targets there; the cube flat on the table at (x, y) m, yaw rad.
  void SetRobotJoints(std::span<const double> qpos, std::span<const double> qvel = {}) override;
  void PlaceObject(double x, double y, double yaw) override;

  const mjModel* model() const override { return model_.get(); }
  mjData* data() { return data_.get(); }
  const mjData* data() const override { return data_.get(); }
  const GraspCubeIds& ids() const { return scene_->ids; }
  const GraspCubeScene& scene() const { return *scene_; }
  const GraspCubeEval& eval() const { return eval_; }
  const GraspCubeConfig& config() const { return *cfg_; }
  const GraspCubeVisuals& visuals() const { return visuals_; }
  // The policy camera this step: the configured pose with per-step eye, target and roll noise when
  // randomization is on (re-drawn at every reset and before every control step).
  const render::CameraPose& camera_pose() const override { return camera_; }
  render::Lighting lighting() const override;
  void RenderCamera(const render::BatchRenderer& renderer, const render::Greenscreen* greenscreen,
                    uint8_t* rgb, uint8_t* seg) const override;
  // Keeps the robot's links and the cube (scene().keep).
  std::shared_ptr<const render::Greenscreen> MakeGreenscreen(int width, int height) const override;
  const std::array<double, so100::kNumJoints>& target_qpos() const { return target_; }
  void set_target_qpos(const std::array<double, so100::kNumJoints>& t) { target_ = t; }
  double cube_half_size() const { return cube_half_size_; }
  double cube_friction() const;
  std::array<double, 3> tcp_pos() const;
  std::array<double, 3> cube_pos() const;

 private:
  void Reconfigure();
  void Evaluate();
  void WriteObsOf(ObsMode mode, float* obs) const;
  void DrawCamera();

  std::shared_ptr<const GraspCubeScene> scene_;
  std::shared_ptr<const GraspCubeConfig> cfg_;
  JointControllerSpec controller_;
  MjModelPtr model_;  // per-env copy: cube size, friction and colours differ between envs
  MjDataPtr data_;
  Rng rng_;         // physics and task draws
  Rng visual_rng_;  // camera and colour draws: rendering settings never change the physics stream
  std::array<double, so100::kNumJoints> target_{};
  double cube_half_size_ = kDefaultCubeHalfSize;
  GraspCubeVisuals visuals_;
  render::CameraPose camera_;
  GraspCubeEval eval_;
  double reward_ = 0;
};

}  // namespace s2r::sim
