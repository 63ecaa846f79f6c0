#!/usr/bin/env bash
# Data-parallel training on this machine: the same global batch of state PPO (bench/ppo_state.sh's recipe,
# 256 envs x 50 steps per iteration) as 1 rank with 2 threads against 2 ranks (`sim2real launch --nproc 2`)
# of 128 envs and 1 thread each. Prints each run's median SPS, the ratio, and the 2-rank run's median
# allreduce time per update against its update time (what communication costs).
# Usage: bash bench/dist.sh [ITERATIONS]   (default 6; a few minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-build/sim2real}
ITERS=${1:-6}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
RECIPE="--obs-mode state --ppo.num-steps=50 --ppo.update_epochs=8 --ppo.num_minibatches=32 --ppo.gamma=0.8
  --ppo.ent-coef=0.005 --ppo.num_eval_envs=4 --ppo.num-eval-steps=8 --ppo.eval-freq=1000 --ppo.no-capture-video
  --ppo.no-save-model --runs-dir $TMP"

median() {  # metrics.csv tag -> median over the iterations after the first (warm-up)
  python3 - "$1" "$2" <<'PY'
import csv, statistics, sys
v = [float(r["value"]) for r in csv.DictReader(open(sys.argv[1])) if r["tag"] == sys.argv[2]][1:]
print(statistics.median(v) if v else "nan")
PY
}

steps1=$((ITERS * 256 * 50))
"$BIN" train $RECIPE --ppo.num_envs=256 --ppo.threads=2 --ppo.total-timesteps=$steps1 --ppo.exp-name=one \
  > /dev/null 2> "$TMP/one.log"
"$BIN" launch --nproc 2 -- train $RECIPE --ppo.num_envs=128 --ppo.threads=1 --ppo.total-timesteps=$steps1 \
  --ppo.exp-name=two > /dev/null 2> "$TMP/two.log"
one=$(median "$TMP/one/metrics.csv" charts/SPS)
two=$(median "$TMP/two/metrics.csv" charts/SPS)
upd=$(median "$TMP/two/metrics.csv" time/update_time)
ar=$(median "$TMP/two/metrics.csv" time/allreduce_time)
python3 - "$one" "$two" "$upd" "$ar" "$ITERS" <<'PY'
import sys
one, two, upd, ar, it = map(float, sys.argv[1:])
print(f"1 rank x 2 threads: {one:,.0f} SPS (median of {int(it) - 1} iterations)")
print(f"2 ranks x 1 thread: {two:,.0f} SPS  ->  {two / one:.2f}x")
print(f"2 ranks: allreduce {ar:.3f} s of a {upd:.2f} s update per iteration ({100 * ar / upd:.1f} %)")
PY
