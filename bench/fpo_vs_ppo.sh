#!/usr/bin/env bash
# FPO beside PPO on SO100GraspCube-v1 from state observations, equal env-step budgets, three seeds each
# (issue: FPO side by side with PPO). Writes $DIR/{fpo,ppo}-state-<seed>/ (DIR default runs/fpo-vs-ppo-2), one
# PNG with every eval success curve (bench/results/fpo_vs_ppo.png) and a table of eval success_once at fixed
# step counts and the wall time per env step of each run.
# Usage: bash bench/fpo_vs_ppo.sh [TOTAL_STEPS] [SEEDS]     (defaults: 10_000_000 "1 2 3")
# FPO runs recipe 4 (below); CLIP=0.05 gives recipe 3, CLIP=0.05 CFM_COEF=0.05 FPO_EPOCHS=2 FPO_MINIBATCHES=8
# recipe 2, other values other variants. Run names carry what differs from recipe 2 (recipe 4:
# fpo-state-<seed>-cfm0-clip0.1-e8m32, recipe 3: fpo-state-<seed>-cfm0-e8m32).
# PNG=path writes the plot there instead.
# PPO_RUNS=runs reuses the PPO runs of bench/ppo_state.sh (runs/ppo-state-<seed>, the same PPO recipe)
# instead of training PPO again: half the machine time; PPO_RUNS=none trains and compares FPO runs only.
# AT_STEPS="1000000,2000000" sets the table's columns.
# PARALLEL=1 trains the seeds at once, one thread each (--ppo.threads=1): on two cores a state run's update is
# no faster with two threads than with one; two runs side by side give 1.8x the throughput of one after
# another, three only 1.24x (their rollouts share the cores; bench/results/README.md, recipe 4).
# CLIP sets FPO's --ppo.clip-coef (recipe 4: 0.1, recipes 2 and 3: 0.05); not 0.05 adds -clip<value> to the names.
set -euo pipefail
cd "$(dirname "$0")/.."
TOTAL=${1:-10_000_000}
SEEDS=${2:-"1 2 3"}
BIN=${BIN:-build/sim2real}
DIR=${DIR:-runs/fpo-vs-ppo-2}
AT_STEPS=${AT_STEPS:-1000000,2000000,5000000,10000000}
CFM_COEF=${CFM_COEF:-0}  # recipes 3-4: no self-fit term (recipe 2: 0.05); not 0.05 adds -cfm<value> to the names
FPO_EPOCHS=${FPO_EPOCHS:-8} FPO_MINIBATCHES=${FPO_MINIBATCHES:-32}  # recipes 3-4: PPO's shape (recipe 2: 2 x 8)
CLIP=${CLIP:-0.1} PARALLEL=${PARALLEL:-0}
SUFFIX=""; [[ "$CFM_COEF" == 0.05 ]] || SUFFIX="-cfm$CFM_COEF"
[[ "$CLIP" == 0.05 ]] || SUFFIX="$SUFFIX-clip$CLIP"
[[ "$FPO_EPOCHS/$FPO_MINIBATCHES" == 2/8 ]] || SUFFIX="$SUFFIX-e${FPO_EPOCHS}m$FPO_MINIBATCHES"
PNG=${PNG:-bench/results/fpo_vs_ppo.png}
mkdir -p "$DIR" bench/results
# Both: 256 envs x 50 steps, gamma 0.8, lambda 0.9 (the state recipe of bench/ppo_state.sh), 10 iterations
# between evaluations. PPO keeps that recipe's 8 epochs x 32 minibatches and entropy bonus. FPO takes the FPO
# guide's log-ratio clamp 0.5 and grad norm 2 with K = 10 Euler steps and N = 8 (tau, eps) pairs, lr 3e-4 (the
# guide's 1e-5 is for fine RGB runs) and no target_kl (its FPO scale differs). Recipes 1 and 2 used the guide's
# update shape (2 epochs x 8 minibatches), whose update costs about what PPO's does although it scores 8 pairs
# per action; recipe 3 uses PPO's 8 x 32, whose update costs several times PPO's.
# Recipe 1: the guide's flags alone (clip 0.15); it collapses (seed-1 run: runs/fpo-vs-ppo/fpo-state-1).
# Recipe 2: clip 0.05, the env's clipped action stored and scored, one ratio per (tau, eps) pair, the asymmetric
# (SPO) surrogate for negative advantages and 0.05 x the CFM loss of the rollout's own samples (the self-fit
# term), at the guide's 2 x 8. Recipe 3: recipe 2 at PPO's 8 x 32 without the self-fit term. Recipe 4 (the
# default): recipe 3 with clip 0.1.
# Every recipe's runs, figures and cost against PPO: bench/results/README.md (FPO sections).
COMMON=(--env-id SO100GraspCube-v1 --obs-mode state --ppo.num_envs=256 --ppo.num-steps=50
  --ppo.total_timesteps="$TOTAL" --ppo.gamma=0.8 --ppo.gae-lambda=0.9 --ppo.num_eval_envs=16
  --ppo.num-eval-steps=64 --ppo.eval-freq=10 --ppo.no-capture-video --runs-dir "$DIR" --json)
if [[ "$PARALLEL" == 1 ]]; then COMMON+=(--ppo.threads=1); fi
PPO_DIR=${PPO_RUNS:-$DIR}
# Reused PPO runs are checked before any training starts, not after hours of the seeds before them.
if [[ -n "${PPO_RUNS:-}" && "$PPO_DIR" != none ]]; then
  for seed in $SEEDS; do
    if [[ ! -f "$PPO_DIR/ppo-state-$seed/metrics.csv" ]]; then
      echo "fpo_vs_ppo: PPO_RUNS=$PPO_RUNS has no ppo-state-$seed/metrics.csv (run bench/ppo_state.sh $seed)" >&2
      exit 2
    fi
  done
fi
train_seed() {
  local seed=$1
  if [[ -z "${PPO_RUNS:-}" ]]; then
    "$BIN" train --algo ppo "${COMMON[@]}" --ppo.seed="$seed" --ppo.update_epochs=8 --ppo.num_minibatches=32 \
      --ppo.ent-coef=0.005 --ppo.exp-name="ppo-state-$seed" > "$DIR/ppo-state-$seed.json"
  fi
  "$BIN" train --algo fpo "${COMMON[@]}" --ppo.seed="$seed" --ppo.update_epochs="$FPO_EPOCHS" \
    --ppo.num_minibatches="$FPO_MINIBATCHES" --ppo.learning-rate=3e-4 --ppo.clip-coef="$CLIP" --ppo.max-grad-norm=2.0 \
    --ppo.fpo-num-steps=10 --ppo.fpo-num-train-samples=8 --ppo.fpo-logratio-clip=0.5 --ppo.target-kl=None \
    --ppo.fpo-store-clipped --ppo.fpo-per-sample-ratio --ppo.fpo-aspo --ppo.fpo-cfm-coef="$CFM_COEF" \
    --ppo.exp-name="fpo-state-$seed$SUFFIX" > "$DIR/fpo-state-$seed$SUFFIX.json"
}
if [[ "$PARALLEL" == 1 ]]; then
  pids=() failed=0
  for seed in $SEEDS; do train_seed "$seed" & pids+=($!); done
  # Every seed runs to its end; a failed one fails the script afterwards (no orphaned runs, no plot).
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
  if [[ "$failed" == 1 ]]; then echo "fpo_vs_ppo: a seed's training failed (see $DIR/*.json and stderr)" >&2; exit 1; fi
else
  for seed in $SEEDS; do train_seed "$seed"; done
fi
runs=()
for seed in $SEEDS; do
  [[ "$PPO_DIR" == none ]] || runs+=("$PPO_DIR/ppo-state-$seed")
  runs+=("$DIR/fpo-state-$seed$SUFFIX")
done
"$BIN" compare-runs "${runs[@]}" --out "$PNG" --at-steps "$AT_STEPS"
