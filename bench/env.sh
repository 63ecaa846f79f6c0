#!/usr/bin/env bash
# Env-engine benchmark: env steps/s of the batched engine beside a plain MuJoCo loop on the same
# model, at 1 and 2 threads, medians of 5 rounds. Figures go to bench/README.md and the README.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-build/sim2real}
for n in 64 256 1024; do
  "$BIN" bench env --env-id SO100GraspCube-v1 --num-envs "$n" --threads 2 --seconds 3 --rounds 5
  echo
done
