#!/usr/bin/env bash
# FPO beside PPO on SO100GraspCube-v1 from state observations, equal env-step budgets, three seeds each
# (issue: FPO side by side with PPO). Writes runs/fpo-vs-ppo/{fpo,ppo}-state-<seed>/, one PNG with every
# eval success curve (bench/results/fpo_vs_ppo.png) and a table of eval success_once at fixed step counts
# and the wall time per env step of each run.
# Usage: bash bench/fpo_vs_ppo.sh [TOTAL_STEPS] [SEEDS]     (defaults: 10_000_000 "1 2 3")
set -euo pipefail
cd "$(dirname "$0")/.."
TOTAL=${1:-10_000_000}
SEEDS=${2:-"1 2 3"}
BIN=${BIN:-build/sim2real}
DIR=runs/fpo-vs-ppo
mkdir -p "$DIR" bench/results
# Shared: the state recipe of bench/ppo_state.sh (256 envs x 50 steps, gamma 0.8, 8 epochs x 32 minibatches).
COMMON=(--env-id SO100GraspCube-v1 --obs-mode state --ppo.num_envs=256 --ppo.num-steps=50
  --ppo.update_epochs=8 --ppo.num_minibatches=32 --ppo.total_timesteps="$TOTAL" --ppo.gamma=0.8
  --ppo.num_eval_envs=16 --ppo.num-eval-steps=64 --ppo.eval-freq=10 --ppo.no-capture-video
  --runs-dir "$DIR" --json)
for seed in $SEEDS; do
  "$BIN" train --algo ppo "${COMMON[@]}" --ppo.seed="$seed" --ppo.ent-coef=0.005 \
    --ppo.exp-name="ppo-state-$seed" > "$DIR/ppo-state-$seed.json"
  # FPO: K = 10 Euler steps, N = 8 (tau, eps) pairs, log-ratio clamp 3 (the official settings); FPO has
  # no entropy bonus and its KL estimate has another scale, so no target_kl.
  "$BIN" train --algo fpo "${COMMON[@]}" --ppo.seed="$seed" --ppo.fpo-num-steps=10 \
    --ppo.fpo-num-train-samples=8 --ppo.fpo-logratio-clip=3 --ppo.target-kl=None \
    --ppo.exp-name="fpo-state-$seed" > "$DIR/fpo-state-$seed.json"
done
runs=()
for seed in $SEEDS; do runs+=("$DIR/ppo-state-$seed" "$DIR/fpo-state-$seed"); done
"$BIN" compare-runs "${runs[@]}" --out bench/results/fpo_vs_ppo.png --at-steps 1000000,2000000,5000000,10000000
