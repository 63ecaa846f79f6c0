#!/usr/bin/env bash
# Renderer benchmark: the batch renderer beside MuJoCo's own renderer (OSMesa) on the same env states,
# 256 envs, 2 threads, at 64, 128 and 224 pixels; then env steps/s with rgb observations.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-build/sim2real}
for r in 64 128 224; do
  "$BIN" bench render --env-id SO100GraspCube-v1 --num-envs 256 --threads 2 --resolution "$r" --seconds 3 --rounds 3
  echo
done
"$BIN" bench env --env-id SO100GraspCube-v1 --obs-mode rgb --num-envs 256 --threads 2 --seconds 3 --rounds 3
