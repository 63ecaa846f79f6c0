// The MuJoCo twin behind the virtual robot: a feetech::MotionModel whose six servos are the joints of one
// GraspCubeEnv stepped in real time, a calibration that makes LeRobot's normalization of its ticks give the
// joint map's degrees, and the base camera served over the frame socket (with scene control: placing the
// cube, in place of the human who resets the scene). Together they make `sim2real virtual-robot` a
// stand-in for the real SO-100 arm, its camera and its scene.
//
// Servo i (0-based index in the emulator's servo list, ids 1..6) is joint i of so100::kJointNames; servos
// past the sixth (an odd --ids) stand still at tick 2048. The scene is the env config's, with its load-time
// draws (cube size/colour/friction, camera noise, lighting when domain_randomization is on) made once from
// `seed`: one fixed "real world".
//
// Ticks <-> joint radians (the virtual robot's own calibration, TwinCalibration()): homing_offset 0,
// drive_mode 0 and, per joint, range_min = 2048 - R, range_max = 2048 + R, so the range's midpoint is
// exactly kTwinMidTick = 2048 and LeRobot's DEGREES normalization, deg = (r - (mn + mx) / 2) * 360 / 4095,
// is the joint map's degrees:
//     deg   = sign * rad * 180 / pi + offset_deg        (configs/robots/<robot>.json, core/joint_map.h)
//     ticks = 2048 + deg * 4095 / 360                   (Present_Position = round(ticks))
//     rad   = JointMap::ToRadians((ticks - 2048) * 360 / 4095)   (a goal in ticks -> the PD target)
// ALL SIX joints are in degrees, the gripper too (ManiSkill's real agent forces the gripper to DEGREES;
// read the gripper with MotorNormMode::kDegrees). R = ceil(max |deg| over the joint's limits
// so100::kJointLow/High * 4095 / 360) + kTwinRangeMarginTicks, capped at 2047 (wrist_roll spans 1..4095).
//
// Physics: the env's own PD position actuators. With torque on, the goal (clamped by the emulator to the
// position limits) becomes the actuator target; with torque off the joint's actuator exerts no force at
// all (its gain and bias are zeroed in the env's model copy), so the arm sags under gravity as a real one
// does. Until a host first enables a servo's torque, its joint is held at the start pose (the arm "rests as
// placed", as on its stand; otherwise it would fall before any host connects); PowerCycle does not park it
// again. Goal_Velocity, Acceleration, Torque_Limit and the P coefficient are not modelled (the MJCF's
// servo is LeRobot's P=16 at full torque, the gripper at LeRobot's 50 %).
// Present_Velocity = qvel in ticks/s; Present_Load = actuator force / force limit * 1000 (signed along the
// tick axis, 0 with torque off); Present_Current ~ |load| * 0.3 (2 A at full torque, 6.5 mA units; rough).
//
// Threads: a physics thread steps the env at its timestep (0.005 s) to keep sim time with the wall clock
// (after a stall of more than kMaxCatchUpS it skips ahead rather than race). Everything here is
// thread-safe; Advance() only records the drive and reads the state (it never blocks on physics for long).
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "camera/frame_server.h"
#include "core/joint_map.h"
#include "core/so100_layout.h"
#include "hw/calibration.h"
#include "hw/virtual/servo_bus_emulator.h"
#include "media/image.h"
#include "render/batch_renderer.h"
#include "sim/grasp_cube_config.h"
#include "sim/grasp_cube_env.h"
#include "sim/mj_handles.h"

namespace s2r::deploy {

inline constexpr int kTwinMidTick = 2048;
inline constexpr int kTwinRangeMarginTicks = 2;
inline constexpr double kMaxCatchUpS = 0.2;

// The virtual robot's calibration (the formula above): joints in so100::kJointNames order, ids 1..6.
hw::Calibration TwinCalibration(const JointMap& joint_map);
// Raw ticks (motor frame, homing offset 0) <-> joint radians, the formulas above.
double TwinTicksToRadians(const JointMap& joint_map, int joint, double ticks);
double TwinRadiansToTicks(const JointMap& joint_map, int joint, double radians);
// Writes a calibration's Homing_Offset and Min/Max_Position_Limit into the emulated servos' EEPROM, as a
// calibrated real arm holds them, so a host's Configure() finds them in place: servo i (emulator order)
// gets the entry of joint i of so100::kJointNames; servos beyond the sixth or joints without an entry are
// left alone.
void ApplyCalibration(hw::feetech::ServoBusEmulator& emulator, const hw::Calibration& calibration);

struct TwinOptions {
  sim::GraspCubeConfig env_config;  // the scene (env_config.json); its randomization is drawn once, at load
  JointMap joint_map;               // configs/robots/so100.json; validated against so100::kJointNames
  uint64_t seed = 0;                // the env's draws (cube size/colour/spawn, camera noise with DR on)
  std::array<double, so100::kNumJoints> start_qpos = so100::kRestQpos;  // rad
  bool realtime = true;  // false: no physics thread (Step() advances it; for tests and tools)
};

class TwinMotionModel final : public hw::feetech::MotionModel {
 public:
  // Builds the env (ConfigError for a bad config or joint map), puts the arm at start_qpos at rest, and
  // starts the physics thread if options.realtime.
  explicit TwinMotionModel(TwinOptions options);
  ~TwinMotionModel() override;  // stops the physics thread
  TwinMotionModel(const TwinMotionModel&) = delete;
  TwinMotionModel& operator=(const TwinMotionModel&) = delete;

  hw::feetech::ServoState Advance(int index, const hw::feetech::ServoDrive& drive, double now_s) override;

  // The emulator hands a new drive (a goal or torque write) to its motion model only at the model's next
  // Advance, i.e. at the next bus read; a real servo reacts at once. Attached, the physics thread polls
  // every servo of `emulator` (ReadRegister, which calls Advance with the current drive) before each batch
  // of steps, so writes take effect within a tick (~4 ms). Call DetachEmulator() before destroying the
  // emulator (it is never called back otherwise; the destructor detaches too).
  void AttachEmulator(hw::feetech::ServoBusEmulator* emulator);
  void DetachEmulator();

  // Advances physics by `steps` timesteps now (any mode; a running thread then waits for the wall clock
  // to catch up with the sim time).
  void Step(int steps);
  // Pauses/resumes the physics thread (sim time then resumes from where it stopped).
  void SetPaused(bool paused);

  // Places the cube resting on the table at (x, y) m (world = robot base frame, as the spawn box) with
  // `yaw` rad about z, at zero velocity. Throws std::invalid_argument for non-finite values or a
  // centre off the table top.
  void PlaceObject(double x, double y, double yaw);

  // State snapshots (thread-safe).
  std::array<double, so100::kNumJoints> qpos() const;  // rad
  std::array<double, 3> cube_pos() const;              // m
  double cube_yaw() const;                             // rad
  // The task's own evaluation of the current state (is_grasped, success: lifted, grasped, arm near rest).
  sim::GraspCubeEval Evaluate() const;
  double sim_time() const;  // s
  bool torque_enabled(int joint) const;
  double cube_half_size() const { return env_->cube_half_size(); }               // m
  const render::CameraPose& camera_pose() const { return env_->camera_pose(); }  // fixed after load

  // Renders the env's base camera (its pose, roll, and fovy as the VERTICAL fov; its lighting) from a
  // consistent snapshot of the state, without greenscreen, at the renderer's size.
  media::Image Render(const render::BatchRenderer& renderer) const;
  // The env's own policy view: its sensor-size renderer, greenscreened as configured.
  media::Image RenderSensor() const;
  // A renderer of this twin's scene at width x height (e.g. the 640x480 "real" camera).
  std::unique_ptr<render::BatchRenderer> MakeRenderer(int width, int height) const;

  const JointMap& joint_map() const { return options_.joint_map; }
  const sim::GraspCubeConfig& env_config() const { return options_.env_config; }
  hw::Calibration calibration() const { return TwinCalibration(options_.joint_map); }

 private:
  struct Joint {
    bool parked = true;   // held at the start pose until torque is first enabled
    bool torque = false;  // the host's Torque_Enable
    double target = 0;    // rad, the PD target with torque on
    bool actuator_on = true;
    double saturated_since = -1;  // s (host clock): since when the actuator has pushed at its limit
  };
  void StepLocked(int steps);
  void ApplyDrivesLocked();
  void SetActuatorLocked(int joint, bool on);
  void Run();

  TwinOptions options_;
  std::shared_ptr<const sim::GraspCubeConfig> cfg_;
  std::shared_ptr<const sim::GraspCubeScene> scene_;
  std::unique_ptr<sim::GraspCubeEnv> env_;
  mjModel* model_ = nullptr;  // the env's own model copy (actuator gains are switched for torque off)
  std::array<std::array<double, 3>, so100::kNumJoints> gain_{};  // gainprm[0], biasprm[1], biasprm[2]
  std::array<double, so100::kNumJoints> force_limit_{};

  mutable std::mutex mu_;  // the env and the joints
  std::vector<double>
      qpos_before_;  // [nq] the state a diverged step returns to (kept: no allocation per step)
  std::array<Joint, so100::kNumJoints> joints_{};
  mutable std::mutex render_mu_;
  sim::MjDataPtr snapshot_;  // guarded by render_mu_

  std::mutex poll_mu_;  // taken before the emulator's lock, never while holding mu_
  hw::feetech::ServoBusEmulator* emulator_ = nullptr;  // guarded by poll_mu_

  std::mutex run_mu_;
  std::condition_variable run_cv_;
  bool stop_ = false;    // guarded by run_mu_
  bool paused_ = false;  // guarded by run_mu_
  std::thread thread_;
};

struct TwinCameraOptions {
  std::string socket_path;  // the frame socket (`virtual:PATH` for clients)
  int width = 640, height = 480;
  double fps = 30;  // the most frames per second rendered (on request)
};

// Serves the twin's base camera through a camera::FrameServer, rendered when a client asks and the last
// frame is older than 1 / options.fps, and gives the server's scene control (command 2: place the object;
// command 3: the task's state) to the twin. The first frame is set before the constructor
// returns. Throws what FrameServer throws (IoError for the socket path).
class TwinCameraServer {
 public:
  TwinCameraServer(std::shared_ptr<TwinMotionModel> twin, TwinCameraOptions options);
  ~TwinCameraServer();  // detaches the handlers; the FrameServer removes its socket
  TwinCameraServer(const TwinCameraServer&) = delete;
  TwinCameraServer& operator=(const TwinCameraServer&) = delete;

  const std::string& path() const { return server_->path(); }
  uint64_t frames_set() const { return server_->frames_set(); }
  void RenderNow();  // renders and publishes one frame at once (requests do it when the frame is old)

 private:
  media::Image Render();

  std::shared_ptr<TwinMotionModel> twin_;
  TwinCameraOptions options_;
  std::unique_ptr<render::BatchRenderer> renderer_;
  std::unique_ptr<camera::FrameServer> server_;
  std::mutex render_mu_;  // guards renderer_
};

}  // namespace s2r::deploy
