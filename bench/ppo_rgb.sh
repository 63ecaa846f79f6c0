#!/usr/bin/env bash
# The guide's RGB command with a budget that fits a 2-core machine (64 envs, 2M steps by default);
# reports rollout and update throughput from the run's metrics and the eval curve it reached.
# Usage: bash bench/ppo_rgb.sh [TOTAL_STEPS] [NUM_ENVS]
set -euo pipefail
cd "$(dirname "$0")/.."
TOTAL=${1:-2_000_000}
ENVS=${2:-64}
BIN=${BIN:-build/sim2real}
mkdir -p runs
rm -rf runs/ppo-rgb-bench  # a fresh run: metrics of an earlier one would mix into the medians
"$BIN" train --algo ppo --env-id="SO100GraspCube-v1" --env-kwargs-json-path=env_config.json \
  --ppo.seed=3 --ppo.num_envs="$ENVS" --ppo.num-steps=16 --ppo.update_epochs=8 --ppo.num_minibatches=8 \
  --ppo.total_timesteps="$TOTAL" --ppo.gamma=0.9 --ppo.num_eval_envs=8 --ppo.num-eval-steps=64 \
  --ppo.no-partial-reset --ppo.exp-name="ppo-rgb-bench" --json > runs/ppo-rgb-bench.json
python3 - <<'PY'
import csv, json, statistics
rows = list(csv.DictReader(open("runs/ppo-rgb-bench/metrics.csv")))
def med(tag):
    v = [float(r["value"]) for r in rows if r["tag"] == tag]
    return statistics.median(v) if v else float("nan")
evals = [(int(r["step"]), float(r["value"])) for r in rows if r["tag"] == "eval/success_once"]
s = json.load(open("runs/ppo-rgb-bench.json"))
print(f"rollout {med('time/rollout_fps'):.0f} env steps/s, overall {med('charts/SPS'):.0f} SPS (medians); "
      f"eval success_once by step: {evals}; wall time {s['seconds']:.0f} s")
PY
