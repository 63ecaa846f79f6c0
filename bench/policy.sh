#!/usr/bin/env bash
# Policy-step benchmark: one deterministic policy step (obs -> action) through libtorch (the .pt checkpoint,
# what eval runs) beside OpenCV's dnn on the same policy's ONNX export, medians of 5 rounds of 200 calls.
# Batch 1 is the real robot's loop; 256 a sim eval batch. The networks are the ones training builds (state
# MLPs, NatureCNN at 128x128; FPO with 10 Euler steps), from a one-iteration training run (speed does not
# depend on the weights). Figures go to bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-build/sim2real}
DIR=${DIR:-runs/bench-policy}
mkdir -p "$DIR"
TINY=(--ppo.num-envs 2 --ppo.num-steps 4 --ppo.num-minibatches 1 --ppo.update-epochs 1 --ppo.total-timesteps 8
  --ppo.num-eval-envs 1 --ppo.num-eval-steps 2 --ppo.no-capture-video --runs-dir "$DIR" --json)
for algo in ppo fpo; do
  for obs in state rgb; do
    name="$algo-$obs"
    [[ -f "$DIR/$name/final_ckpt.pt" ]] ||
      "$BIN" train --algo "$algo" --obs-mode "$obs" --ppo.fpo-num-steps 10 "${TINY[@]}" --ppo.exp-name "$name" > /dev/null
  done
done
for batch in 1 256; do
  for name in ppo-state fpo-state ppo-rgb fpo-rgb; do
    calls=200
    [[ "$batch" == 256 && "$name" == *rgb ]] && calls=10
    "$BIN" bench policy --checkpoint "$DIR/$name/final_ckpt.pt" --batch "$batch" --calls "$calls" --rounds 5
    echo
  done
done
