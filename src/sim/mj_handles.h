// Owning handles for MuJoCo's C objects.
#pragma once

#include <mujoco/mujoco.h>

#include <memory>

namespace s2r::sim {

struct MjModelDeleter {
  void operator()(mjModel* m) const { mj_deleteModel(m); }
};
struct MjDataDeleter {
  void operator()(mjData* d) const { mj_deleteData(d); }
};
using MjModelPtr = std::unique_ptr<mjModel, MjModelDeleter>;
using MjDataPtr = std::unique_ptr<mjData, MjDataDeleter>;

// Deep copy of a compiled model (for per-env physical randomization).
inline MjModelPtr CopyModel(const mjModel* m) { return MjModelPtr(mj_copyModel(nullptr, m)); }
inline MjDataPtr MakeData(const mjModel* m) { return MjDataPtr(mj_makeData(m)); }

// Installs quiet MuJoCo warning/error handlers once per process: warnings are counted by the envs
// through mjData::warning (a diverging sim is reset, never printed per step), errors abort with the
// message instead of MuJoCo's default exit().
void InstallMujocoHandlers();

}  // namespace s2r::sim
