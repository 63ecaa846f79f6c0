#!/usr/bin/env bash
# FPO's extra compute per env step, against PPO, measured side by side in one run: bench/fpo_vs_ppo.sh's own
# PPO and FPO commands (its default FPO recipe, or what CLIP / CFM_COEF / FPO_EPOCHS / FPO_MINIBATCHES select)
# for ITERATIONS iterations of 12,800 env steps each, one after the other with nothing else running, then the
# medians of their per-iteration rollout and update times (the first iteration left out: it warms up) and the
# ratio FPO / PPO. Evaluations are timed apart by the trainer and not counted.
# Usage: bash bench/fpo_cost.sh [ITERATIONS]     (default 7; about 3 minutes on two cores)
# Runs go to a temporary folder, removed at the end; figures go to bench/results/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ "${1:-}" == -h || "${1:-}" == --help ]]; then sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0; fi
ITERS=${1:-7}
if ! [[ "$ITERS" =~ ^[0-9]+$ ]] || (( ITERS < 3 )); then
  echo "fpo_cost: ITERATIONS must be an integer >= 3 (got '$ITERS')" >&2; exit 2
fi
tmp=$(mktemp -d /tmp/fpo_cost.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
# PPO_RUNS unset and PARALLEL=0 whatever the caller's environment holds: the script trains PPO, then FPO,
# seed 1, with its usual flags (two threads each).
env -u PPO_RUNS PARALLEL=0 DIR="$tmp" PNG="$tmp/curves.png" AT_STEPS=12800 bash bench/fpo_vs_ppo.sh "$((ITERS * 12800))" 1 > "$tmp/table.txt"
python3 - "$tmp" <<'PY'
import csv, glob, os, statistics, sys
tmp = sys.argv[1]
def times(run):
    per = {"time/rollout_time": [], "time/update_time": []}
    with open(os.path.join(run, "metrics.csv")) as f:
        for row in csv.DictReader(f):
            if row["tag"] in per:
                per[row["tag"]].append(float(row["value"]))
    r, u = per["time/rollout_time"][1:], per["time/update_time"][1:]  # the first iteration warms up
    if not r or not u:
        sys.exit(f"fpo_cost: {run}/metrics.csv has fewer than two iterations of rollout/update times")
    return statistics.median(r), statistics.median(u), len(r)
ppo = os.path.join(tmp, "ppo-state-1")
fpo = [d for d in glob.glob(os.path.join(tmp, "fpo-state-1*")) if os.path.isdir(d)][0]
rows = [("PPO (" + os.path.basename(ppo) + ")",) + times(ppo), ("FPO (" + os.path.basename(fpo) + ")",) + times(fpo)]
print(f"{'run':<45} {'rollout s/it':>12} {'update s/it':>12} {'env steps/s':>12}")
for name, r, u, n in rows:
    print(f"{name:<45} {r:>12.2f} {u:>12.2f} {12800 / (r + u):>12.0f}")
(_, pr, pu, n), (_, fr, fu, _) = rows
print(f"medians of {n} iterations of 12,800 env steps; rollout {fr / pr:.2f}x, update {fu / pu:.2f}x")
print(f"FPO / PPO wall time per env step: {(fr + fu) / (pr + pu):.2f}x")
PY
