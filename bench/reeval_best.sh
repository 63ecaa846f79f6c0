#!/usr/bin/env bash
# Re-evaluates the checkpoints of a training run's best evaluation on many episodes. The training evals are
# 16 episodes each (a value moves in steps of 0.0625) and "best" is the highest of dozens of them, so it
# overstates the policy; this gives the figure to quote beside it.
# Usage: bash bench/reeval_best.sh RUN_DIR [EPISODES]     (default 256 episodes, 64 envs, seed 100)
# Prints one line per checkpoint that holds the best eval success_once (ties: each of them).
set -euo pipefail
cd "$(dirname "$0")/.."
RUN=${1:?usage: bash bench/reeval_best.sh RUN_DIR [EPISODES]}
EPISODES=${2:-256}
BIN=${BIN:-build/sim2real}
[[ -f "$RUN/metrics.csv" ]] || { echo "reeval_best: $RUN/metrics.csv not found (not a training run?)" >&2; exit 2; }
python3 - "$RUN" "$EPISODES" "$BIN" <<'PY'
import csv, json, os, subprocess, sys
run, episodes, binary = sys.argv[1], sys.argv[2], sys.argv[3]
# The last value of each step (a resumed run may log a step twice).
evals = {}
for r in csv.DictReader(open(os.path.join(run, "metrics.csv"))):
    if r["tag"] == "eval/success_once":
        evals[int(r["step"])] = float(r["value"])
if not evals:
    sys.exit(f"reeval_best: {run}/metrics.csv has no eval/success_once rows")
batch = json.load(open(os.path.join(run, "config.json")))["ppo"]["batch_size"]
best = max(evals.values())
if best == 0:
    print(f"{run}: no evaluation succeeded; nothing to re-evaluate")
    sys.exit(0)
for step in sorted(s for s, v in evals.items() if v == best):
    # The eval of iteration k runs at step (k - 1) * batch and saves ckpt_<k>.pt.
    # The eval after the last iteration saves final_ckpt.pt instead.
    ckpt = os.path.join(run, f"ckpt_{step // batch + 1}.pt")
    if not os.path.exists(ckpt) and step == max(evals):
        ckpt = os.path.join(run, "final_ckpt.pt")
    if not os.path.exists(ckpt):
        print(f"{run}: eval success_once {best:.4f} at step {step}: {ckpt} not found")
        continue
    out = subprocess.run([binary, "eval", "--checkpoint", ckpt, "--num-episodes", episodes, "--num-envs", "64",
                          "--seed", "100", "--json"], check=True, capture_output=True, text=True).stdout
    r = json.loads(out.strip().splitlines()[-1])
    # The checkpoint names its own step: a check on the file-name rule above.
    if r["checkpoint_global_step"] != step:
        sys.exit(f"reeval_best: {ckpt} holds step {r['checkpoint_global_step']}, not the eval's step {step}")
    print(f"{ckpt}: training eval success_once {best:.4f} at step {step}; re-evaluated on {r['episodes']} "
          f"episodes: success_once {r['success_once']:.4f}, success_at_end {r['success_at_end']:.4f}, "
          f"return {r['return']:.1f}")
PY
