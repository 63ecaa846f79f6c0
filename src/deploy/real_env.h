// RealGraspCubeEnv: SO100GraspCube-v1 on the real arm and camera, built like ManiSkill's Sim2RealEnv, with
// no physics: everything the sim and the real arm share is plain code in core/so100_layout (the reset
// distribution, the 17-value proprioceptive observation) and core/joint_controller (the action -> target
// controller). Each step the action goes through that controller, the accumulated targets are sent to the
// robot as goal positions (sim radians -> robot degrees through the joint map of
// configs/robots/<robot>.json), the loop sleeps to hold the control frequency (a warning when a step
// overruns), then the measured joints and the camera frame make the observation; the image is the frame
// centre-cropped and resized by the function the sim uses for the greenscreen photo. No MuJoCo, no torch.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "camera/camera.h"
#include "core/joint_map.h"
#include "core/so100_layout.h"
#include "hw/so100_follower.h"
#include "media/image.h"
#include "sim/grasp_cube_config.h"

namespace s2r::deploy {

using JointRadians = std::array<double, so100::kNumJoints>;

struct RealEnvConfig {
  double control_freq = 15;  // Hz (lerobot-sim2real recommends <= 15 on real hardware)
  JointMap joint_map;        // sim radians <-> robot degrees
  // Slow moves (reset, return to rest): LeRobotRealAgent.reset's 0.025 rad per 1/30 s, bounded time.
  double move_step_rad = 0.025;
  double move_rate_hz = 30;
  double move_timeout_s = 20;
  std::function<void(const std::string&)> warn;  // overrun and other warnings (default: stderr)
};

// Where the user must put the cube before an episode (the reset draw), robot base frame.
struct SceneRequest {
  double cube_x = 0, cube_y = 0;  // m
  double cube_yaw = 0;            // rad
};

class RealGraspCubeEnv {
 public:
  // The task's settings decide the reset distribution, the control mode and the image size; the
  // observation is always the rgb mode's (17 values + image): the real arm cannot measure the cube, which
  // the state mode needs. `seed` seeds the reset draws.
  // The robot must be connected with gripper DEGREES normalization (the joint map covers all six joints).
  // `camera` may be null only when no image is wanted (e.g. moving the arm for align-camera).
  RealGraspCubeEnv(const sim::GraspCubeConfig& task, uint64_t seed, hw::So100Follower& robot,
                   camera::Camera* camera, RealEnvConfig config);

  // Draws the episode's start from the task's reset distribution, moves the arm there slowly, calls
  // reset_scene (which returns once the cube is in place), then reads the first observation.
  void Reset(const std::function<void(const SceneRequest&)>& reset_scene);
  // One control step with action [6] in [-1, 1]. Returns the step's wall time in seconds (before the sleep).
  double Step(const float* action);

  // Moves the arm to `q` (sim radians) in bounded steps at move_rate_hz; returns false on timeout.
  bool MoveTo(const JointRadians& q, double timeout_s);
  bool MoveToRest(double timeout_s) { return MoveTo(so100::kRestQpos, timeout_s); }

  const std::vector<float>& obs() const { return obs_; }    // [17] float32, the sim's rgb-mode state
  const media::Image& image() const { return image_; }      // [H, W, 3] uint8 (with a camera), else empty
  const media::Image& raw_frame() const { return frame_; }  // the last camera frame, uncropped
  // As of the last observation: measured joints (rad), their finite-difference velocity (rad/s; no sensor
  // is read), the controller's targets (rad), and the scene this episode asked for.
  const JointRadians& qpos() const { return q_; }
  const JointRadians& qvel() const { return qvel_; }
  const JointRadians& target() const { return target_; }
  const SceneRequest& scene() const { return scene_; }
  int overruns() const { return overruns_; }
  JointRadians ReadJoints();  // measured now, sim radians

 private:
  void SendTargets(const JointRadians& q);
  void Observe();  // joints and camera -> obs and image
  so100::ResetDistribution reset_;
  ControlMode control_mode_;
  int image_width_, image_height_;
  Rng rng_;
  hw::So100Follower& robot_;
  camera::Camera* camera_;
  RealEnvConfig cfg_;
  JointControllerSpec controller_;
  std::vector<float> obs_;
  media::Image image_, frame_;
  JointRadians q_{}, qvel_{}, target_{};
  SceneRequest scene_;
  std::chrono::steady_clock::time_point last_read_, next_tick_;
  int overruns_ = 0;
};

}  // namespace s2r::deploy
