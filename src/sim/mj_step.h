// Stepping MuJoCo with a divergence check, shared by the tasks' envs and the virtual robots' twins.
#pragma once

#include <mujoco/mujoco.h>

#include <cmath>

namespace s2r::sim {

// mj_step `substeps` times. Returns false if the simulation diverged: a non-finite qpos or qvel, or one of
// MuJoCo's instability warnings (bad qacc, qvel or qpos); the warnings are then cleared, so the caller can
// reset the state and go on.
inline bool StepChecked(const mjModel* m, mjData* d, int substeps) {
  for (int s = 0; s < substeps; ++s) mj_step(m, d);
  bool ok = d->warning[mjWARN_BADQACC].number == 0 && d->warning[mjWARN_BADQVEL].number == 0 &&
            d->warning[mjWARN_BADQPOS].number == 0;
  for (int i = 0; ok && i < m->nq; ++i) ok = std::isfinite(d->qpos[i]);
  for (int i = 0; ok && i < m->nv; ++i) ok = std::isfinite(d->qvel[i]);
  if (!ok)
    for (auto& w : d->warning) w.number = 0;
  return ok;
}

}  // namespace s2r::sim
