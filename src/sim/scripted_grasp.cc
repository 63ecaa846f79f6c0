#include "sim/scripted_grasp.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/so100_layout.h"

namespace s2r::sim {

namespace {

constexpr double kHover = 0.045;        // m above the cube centre before descending
constexpr double kGraspHeight = 0.019;  // m above the table: keeps the pad tips ~4 mm off it
constexpr double kGripperOpen = -0.1;   // rad, gripper target while approaching
constexpr int kMaxCloseSteps = 10;      // control steps the gripper may take to close
constexpr int kIkIters = 40;
constexpr double kMaxCartStep = 0.03;  // m the commanded grasp point may move per control step

// The grasp point in the fixed-jaw frame: between the pads, the cube pressed against the fixed pad.
std::array<double, 3> GraspPointLocal(double half) { return {0.090, half - 0.0033 + 0.006, 0.0}; }

double Yaw(const double* q) {  // quaternion w, x, y, z -> yaw about z
  return std::atan2(2.0 * (q[0] * q[3] + q[1] * q[2]), 1.0 - 2.0 * (q[2] * q[2] + q[3] * q[3]));
}

// World position (m) of a point given in a body's frame, from the body's current pose.
void BodyPointToWorld(const mjData* d, int body, const std::array<double, 3>& local, double* out) {
  const double* x = d->xpos + 3 * body;
  const double* r = d->xmat + 9 * body;
  for (int k = 0; k < 3; ++k)
    out[k] = x[k] + r[3 * k] * local[0] + r[3 * k + 1] * local[1] + r[3 * k + 2] * local[2];
}

// Solves (J^T J + lambda I) dq = J^T err for J [6 x 4] by Gauss-Jordan with partial pivoting.
void DampedLeastSquares(const double (&J)[6][4], const double (&err)[6], double lambda, double (&dq)[4]) {
  double A[4][5] = {};
  for (int a = 0; a < 4; ++a) {
    for (int b = 0; b < 4; ++b)
      for (int k = 0; k < 6; ++k) A[a][b] += J[k][a] * J[k][b];
    A[a][a] += lambda;
    for (int k = 0; k < 6; ++k) A[a][4] += J[k][a] * err[k];
  }
  for (int c = 0; c < 4; ++c) {
    int piv = c;
    for (int r = c + 1; r < 4; ++r)
      if (std::fabs(A[r][c]) > std::fabs(A[piv][c])) piv = r;
    std::swap(A[c], A[piv]);
    for (int r = 0; r < 4; ++r) {
      if (r == c) continue;
      const double f = A[r][c] / A[c][c];
      for (int cc = c; cc < 5; ++cc) A[r][cc] -= f * A[c][cc];
    }
  }
  for (int j = 0; j < 4; ++j) dq[j] = A[j][4] / A[j][j];
}

double WrapPi(double a) {
  while (a > so100::kPi) a -= 2 * so100::kPi;
  while (a < -so100::kPi) a += 2 * so100::kPi;
  return a;
}

}  // namespace

ScriptedGrasp::ScriptedGrasp(const mjModel* model) : model_(model), scratch_(MakeData(model)) {}

void ScriptedGrasp::Reset() {
  last_roll_goal_ = 1e9;
  phase_ = Phase::kApproach;
  phase_steps_ = 0;
}

std::array<double, 5> ScriptedGrasp::SolveIk(const GraspCubeEnv& env, const std::array<double, 3>& point,
                                             double cube_yaw, const std::array<double, 5>& q_init) {
  const mjModel* m = model_;
  mjData* d = scratch_.get();
  const GraspCubeIds& id = env.ids();
  std::copy(env.data()->qpos, env.data()->qpos + m->nq, d->qpos);
  std::array<double, 5> q = q_init;
  const auto local = GraspPointLocal(env.cube_half_size());
  const int body = id.fixed_jaw_body;
  std::vector<mjtNum> jacp(3 * m->nv), jacr(3 * m->nv);
  auto apply = [&] {
    for (int j = 0; j < 5; ++j) d->qpos[id.qpos_adr[j]] = q[j];
    mj_kinematics(m, d);
    mj_comPos(m, d);
  };
  auto world_point = [&](double* out) { BodyPointToWorld(d, body, local, out); };
  // Levenberg-Marquardt on position (3 rows) and pointing (3 weighted rows) over pan, lift, elbow and
  // wrist_flex. The pointing weight starts high (gripper straight down) and is relaxed only while the
  // point cannot be reached (far cubes are then approached with a tilted gripper), which keeps the
  // solution unique and steady from one step to the next.
  double orient_weight = 0.3;
  auto residual = [&](double* err) {
    double p[3];
    world_point(p);
    const double* r = d->xmat + 9 * body;
    // Rotation error taking the approach axis (fixed-jaw x) onto world -z: approach x (0, 0, -1).
    const double rot_err[3] = {-r[3], r[0], 0.0};
    double cost = 0;
    for (int k = 0; k < 3; ++k) {
      err[k] = point[k] - p[k];
      err[3 + k] = orient_weight * rot_err[k];
    }
    for (int k = 0; k < 6; ++k) cost += err[k] * err[k];
    return cost;
  };
  for (const double w : {0.3, 0.1, 0.03, 0.01}) {
    orient_weight = w;
    double lambda = 1e-4;
    apply();
    double err[6];
    double cost = residual(err);
    for (int it = 0; it < kIkIters && cost > 1e-10; ++it) {
      double p[3];
      world_point(p);
      mj_jac(m, d, jacp.data(), jacr.data(), p, body);
      double J[6][4];
      for (int k = 0; k < 3; ++k)
        for (int j = 0; j < 4; ++j) {
          J[k][j] = jacp[static_cast<size_t>(k * m->nv + id.dof_adr[j])];
          J[3 + k][j] = orient_weight * jacr[static_cast<size_t>(k * m->nv + id.dof_adr[j])];
        }
      const std::array<double, 5> q_prev = q;
      for (int attempt = 0; attempt < 8; ++attempt) {
        double dq[4];
        DampedLeastSquares(J, err, lambda, dq);
        for (int j = 0; j < 4; ++j)
          q[j] =
              std::clamp(q_prev[j] + std::clamp(dq[j], -0.3, 0.3), so100::kJointLow[j], so100::kJointHigh[j]);
        apply();
        double trial[6];
        const double c = residual(trial);
        if (c < cost) {
          cost = c;
          std::copy(trial, trial + 6, err);
          lambda = std::max(1e-7, lambda * 0.3);
          break;
        }
        q = q_prev;
        apply();
        lambda *= 5.0;
      }
    }
    if (err[0] * err[0] + err[1] * err[1] + err[2] * err[2] < 2e-3 * 2e-3) break;
  }
  // Roll: turn the jaws' closing axis (fixed-jaw y) onto the nearest cube face normal.
  apply();
  auto closing_azimuth = [&] {
    const double* r = d->xmat + 9 * body;
    return std::atan2(r[4], r[1]);
  };
  const double a0 = closing_azimuth();
  q[4] += 0.1;
  apply();
  const double sign = WrapPi(closing_azimuth() - a0) > 0 ? 1.0 : -1.0;  // d(azimuth)/d(roll) = +-1
  q[4] -= 0.1;
  double delta = WrapPi(cube_yaw - a0);
  delta = std::remainder(delta, so100::kPi / 2);  // any face: nearest multiple of 90 degrees
  double roll = q[4] + sign * delta;
  if (roll > so100::kJointHigh[4]) roll -= so100::kPi;
  if (roll < so100::kJointLow[4]) roll += so100::kPi;
  q[4] = roll;
  return q;
}

std::array<double, 3> ScriptedGrasp::GraspPointAt(const GraspCubeEnv& env, const std::array<double, 5>& q) {
  const mjModel* m = model_;
  mjData* d = scratch_.get();
  const GraspCubeIds& id = env.ids();
  std::copy(env.data()->qpos, env.data()->qpos + m->nq, d->qpos);
  for (int j = 0; j < 5; ++j) d->qpos[id.qpos_adr[j]] = q[j];
  mj_kinematics(m, d);
  std::array<double, 3> p{};
  BodyPointToWorld(d, id.fixed_jaw_body, GraspPointLocal(env.cube_half_size()), p.data());
  return p;
}

void ScriptedGrasp::Act(const MjEnv& mj_env, float* action) {
  const auto* task = dynamic_cast<const GraspCubeEnv*>(&mj_env);
  S2R_CHECK(task != nullptr, "ScriptedGrasp drives " << kGraspCubeId << " envs only");
  const GraspCubeEnv& env = *task;
  const GraspCubeIds& id = env.ids();
  const mjData* d = env.data();
  const auto& target = env.target_qpos();
  const double* cq = d->qpos + id.cube_qpos_adr;
  const std::array<double, 3> cube = {cq[0], cq[1], cq[2]};
  const double yaw = Yaw(cq + 3);

  std::array<double, 5> q_arm{};
  for (int j = 0; j < 5; ++j) q_arm[j] = target[j];
  bool close = false;
  ++phase_steps_;

  // The grasp point where the commanded joint targets put it (planning on commands, not on the
  // lagging measurement, keeps the approach free of oscillation) and where it is now.
  const auto p_cmd = GraspPointAt(env, q_arm);
  std::array<double, 5> q_meas{};
  for (int j = 0; j < 5; ++j) q_meas[j] = d->qpos[id.qpos_adr[j]];
  const auto p = GraspPointAt(env, q_meas);
  const double dxy = std::hypot(cube[0] - p_cmd[0], cube[1] - p_cmd[1]);
  const double dxy_meas = std::hypot(cube[0] - p[0], cube[1] - p[1]);

  switch (phase_) {
    case Phase::kApproach: {
      // Swoop: stay above the cube by an amount that shrinks with the horizontal distance left, so
      // the jaws come down around it instead of sweeping across the table.
      const double grasp_z = std::max(cube[2], kGraspHeight);
      // Come down only once the wrist has turned the jaws across the cube's faces.
      const double roll_err = std::fabs(last_roll_goal_ - d->qpos[id.qpos_adr[4]]);
      const double hover = roll_err > 0.08 ? kHover : std::clamp(4.0 * (dxy - 0.002), 0.0, kHover);
      // Head for the point above the cube in straight Cartesian segments of at most kMaxCartStep.
      std::array<double, 3> goal = {cube[0], cube[1], grasp_z + hover};
      double seg[3], len = 0;
      for (int k = 0; k < 3; ++k) {
        seg[k] = goal[k] - p_cmd[k];
        len += seg[k] * seg[k];
      }
      len = std::sqrt(len);
      if (len > kMaxCartStep)
        for (int k = 0; k < 3; ++k) goal[k] = p_cmd[k] + seg[k] * kMaxCartStep / len;
      q_arm = SolveIk(env, goal, yaw, q_arm);
      last_roll_goal_ = q_arm[4];
      if ((dxy_meas < 0.006 && p[2] - grasp_z < 0.006) || phase_steps_ > 40) {
        phase_ = Phase::kClose;
        phase_steps_ = 0;
      }
      break;
    }
    case Phase::kClose: {
      // Close until the jaws hold the cube (or have stalled on it), then lift.
      close = true;
      const double jaw_speed = std::fabs(d->qvel[id.dof_adr[so100::kNumJoints - 1]]);
      const bool stalled = phase_steps_ >= 3 && jaw_speed < 0.2;
      if ((env.eval().is_grasped && phase_steps_ >= 2) || stalled || phase_steps_ >= kMaxCloseSteps) {
        phase_ = Phase::kLift;
        phase_steps_ = 0;
      }
      break;
    }
    case Phase::kLift: {
      close = true;
      for (int j = 0; j < 5; ++j) q_arm[j] = so100::kRestQpos[j];
      break;
    }
  }

  // Express the wanted joint targets in the env's control mode. While approaching, the arm joints move
  // together along a straight line in joint space (the slowest joint sets the pace), so the path does
  // not dip.
  const ControlMode mode = env.config().control_mode;
  double ref[so100::kNumJoints];
  for (int j = 0; j < so100::kNumJoints; ++j)
    ref[j] = mode == ControlMode::kJointDeltaPos ? d->qpos[id.qpos_adr[j]] : target[j];
  // (Back to rest every joint goes at full speed: success only needs the targets near rest.)
  const bool synchronized = phase_ != Phase::kLift;
  double scale = 1.0;
  for (int j = 0; j < so100::kNumArmJoints && synchronized; ++j)
    scale = std::max(scale, std::fabs(q_arm[static_cast<size_t>(j)] - ref[j]) / so100::kArmDeltaPerStep);
  for (int j = 0; j < so100::kNumJoints; ++j) {
    const bool grip = j == so100::kNumJoints - 1;
    const double step = grip ? so100::kGripperDeltaPerStep : so100::kArmDeltaPerStep;
    const double delta = grip ? std::clamp(kGripperOpen - ref[j], -step, step)
                              : (q_arm[static_cast<size_t>(j)] - ref[j]) / scale;
    double a = 0;
    if (grip && close) {
      a = mode == ControlMode::kJointPos ? so100::kJointLow[j] : -1.0;
    } else if (mode == ControlMode::kJointPos) {
      a = ref[j] + delta;
    } else {
      a = std::clamp(delta / step, -1.0, 1.0);
    }
    action[j] = static_cast<float>(a);
  }
}

}  // namespace s2r::sim
