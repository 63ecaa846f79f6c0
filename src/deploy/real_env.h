// RealGraspCubeEnv: SO100GraspCube-v1 on the real arm and camera, built like ManiSkill's Sim2RealEnv.
// A one-env simulated twin (sim::GraspCubeEnv) provides everything that is not measured: the reset
// distribution (start pose and where the cube must be placed), the controller, and the observation code
// itself. Each step the action goes through the same controller as in simulation (core/joint_controller),
// the accumulated targets are sent to the robot as goal positions (sim radians -> robot degrees through the
// joint map of configs/robots/<robot>.json), the loop sleeps to hold the control frequency (a warning when
// a step overruns), then the measured joint positions are written into the twin, so the observation vector
// is the twin's own WriteObs() (same layout, dtype) and the image is the camera frame centre-cropped and
// resized by the same function the sim uses for the greenscreen photo.
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
#include "sim/grasp_cube_env.h"

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

// Where the user must put the cube before an episode (the twin's reset draw), table frame.
struct SceneRequest {
  double cube_x = 0, cube_y = 0;  // m
  double cube_yaw = 0;            // rad
};

class RealGraspCubeEnv {
 public:
  // The twin's config decides the obs mode and sensor size; the robot must be connected and configured
  // with gripper DEGREES normalization (the joint map covers all six joints).
  RealGraspCubeEnv(std::unique_ptr<sim::GraspCubeEnv> twin, hw::So100Follower& robot, camera::Camera* camera,
                   RealEnvConfig config);

  // Draws the episode's start from the twin's reset distribution, moves the arm there slowly, calls
  // reset_scene (which returns once the cube is in place), then reads the first observation.
  void Reset(const std::function<void(const SceneRequest&)>& reset_scene);
  // One control step with action [6] in [-1, 1]. Returns the step's wall time in seconds (before the sleep).
  double Step(const float* action);

  // Moves the arm to `q` (sim radians) in bounded steps at move_rate_hz; returns false on timeout.
  bool MoveTo(const JointRadians& q, double timeout_s);
  bool MoveToRest(double timeout_s) { return MoveTo(so100::kRestQpos, timeout_s); }

  const std::vector<float>& obs() const { return obs_; }    // [D] float32, the sim's layout
  const media::Image& image() const { return image_; }      // [H, W, 3] uint8 (rgb mode), else empty
  const media::Image& raw_frame() const { return frame_; }  // the last camera frame, uncropped
  sim::GraspCubeEnv& twin() { return *twin_; }
  int overruns() const { return overruns_; }
  JointRadians ReadJoints();  // measured, sim radians

 private:
  void SendTargets(const JointRadians& q);
  void Observe();  // read joints -> twin, camera -> image, twin -> obs
  std::unique_ptr<sim::GraspCubeEnv> twin_;
  hw::So100Follower& robot_;
  camera::Camera* camera_;
  RealEnvConfig cfg_;
  JointControllerSpec controller_;
  std::vector<float> obs_;
  media::Image image_, frame_;
  JointRadians last_q_{};
  std::chrono::steady_clock::time_point last_read_, next_tick_;
  int overruns_ = 0;
};

}  // namespace s2r::deploy
