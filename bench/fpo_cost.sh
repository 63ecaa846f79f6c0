#!/usr/bin/env bash
# FPO's extra compute per env step, against PPO, measured side by side in one run: bench/fpo_vs_ppo.sh's own
# PPO and FPO commands (its default FPO recipe, or what CLIP / CFM_COEF / FPO_EPOCHS / FPO_MINIBATCHES select)
# for ITERATIONS iterations of 12,800 env steps each, one after the other with nothing else running, then the
# medians of their per-iteration rollout and update times (`sim2real compare-runs --json`) and the ratio
# FPO / PPO. Evaluations are timed apart by the trainer and not counted.
# Usage: bash bench/fpo_cost.sh [ITERATIONS]     (default 7; about 3 minutes on two cores)
# Runs go to a temporary folder, removed at the end; figures go to bench/results/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ "${1:-}" == -h || "${1:-}" == --help ]]; then sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0; fi
ITERS=${1:-7}
BIN=${BIN:-build/sim2real}
if ! [[ "$ITERS" =~ ^[0-9]+$ ]] || (( ITERS < 3 )); then
  echo "fpo_cost: ITERATIONS must be an integer >= 3 (got '$ITERS')" >&2; exit 2
fi
tmp=$(mktemp -d /tmp/fpo_cost.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
# PPO_RUNS unset and PARALLEL=0 whatever the caller's environment holds: the script trains PPO, then FPO,
# seed 1, with its usual flags (two threads each).
env -u PPO_RUNS PARALLEL=0 DIR="$tmp" PNG="$tmp/curves.png" AT_STEPS=12800 bash bench/fpo_vs_ppo.sh "$((ITERS * 12800))" 1 > /dev/null
fpo=$(cd "$tmp" && ls -d fpo-state-1*/)  # the FPO run's name carries the recipe's suffix
"$BIN" compare-runs "$tmp/ppo-state-1" "$tmp/${fpo%/}" --at-steps 12800 --json > "$tmp/runs.json"
python3 - "$tmp/runs.json" <<'PY'
import json, sys
ppo, fpo = json.load(open(sys.argv[1]))
print(f"{'run':<45} {'rollout s/it':>12} {'update s/it':>12} {'env steps/s':>12}")
for label, run in (("PPO", ppo), ("FPO", fpo)):
    r, u = run["median_rollout_s"], run["median_update_s"]
    print(f"{label + ' (' + run['run'] + ')':<45} {r:>12.2f} {u:>12.2f} {12800 / (r + u):>12.0f}")
pr, pu, fr, fu = ppo["median_rollout_s"], ppo["median_update_s"], fpo["median_rollout_s"], fpo["median_update_s"]
print(f"medians per iteration of 12,800 env steps; rollout {fr / pr:.2f}x, update {fu / pu:.2f}x")
print(f"FPO / PPO wall time per env step: {(fr + fu) / (pr + pu):.2f}x")
PY
