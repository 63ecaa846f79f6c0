#!/usr/bin/env bash
# Training beside another busy process: state PPO (bench/ppo_state.sh's recipe) on a quiet machine, then with
# one shell busy-loop holding a core, same run. Prints each iteration's SPS, their medians and the ratio
# (goal: busy >= 0.4x quiet, a fair share of two cores). Before it, the cause measured side by side: the
# MLP update on two libtorch threads (what training used before) against one (what it uses now), quiet and
# busy. Usage: bash bench/contention.sh [ITERATIONS]   (default 4; about 4 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-build/sim2real}
ITERS=${1:-4}
TMP=$(mktemp -d)
busy_pid=""
cleanup() {
  [[ -n "$busy_pid" ]] && kill "$busy_pid" 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT
start_busy() {
  (while :; do :; done) &
  busy_pid=$!
}
stop_busy() {
  kill "$busy_pid"
  wait "$busy_pid" 2>/dev/null || true
  busy_pid=""
}

update() {  # seconds per 400-sample minibatch of the MLP agent on $1 threads
  "$BIN" bench update --obs-mode state --threads "$1" --rounds 3 --json 2>/dev/null |
    python3 -c "import json,sys; print(json.load(sys.stdin)['seconds_per_minibatch'])"
}
train() {  # one state run of $ITERS iterations; prints its per-iteration SPS, one per line
  rm -rf "$TMP/r"
  "$BIN" train --algo ppo --env-id SO100GraspCube-v1 --obs-mode state --ppo.seed=1 --ppo.num_envs=256 \
    --ppo.num-steps=50 --ppo.update_epochs=8 --ppo.num_minibatches=32 --ppo.gamma=0.8 --ppo.ent-coef=0.005 \
    --ppo.total_timesteps=$((ITERS * 12800)) --ppo.eval-freq=100000 --ppo.no-capture-video \
    --ppo.exp-name=r --runs-dir "$TMP" > /dev/null 2>&1
  python3 -c "import csv,sys; [print(r['value']) for r in csv.DictReader(open(sys.argv[1])) if r['tag']=='charts/SPS']" \
    "$TMP/r/metrics.csv"
}

echo "MLP update, seconds per minibatch (medians of 3 rounds):"
q2=$(update 2)
q1=$(update 1)
start_busy
b2=$(update 2)
b1=$(update 1)
stop_busy
python3 - "$q2" "$q1" "$b2" "$b1" <<'PY'
import sys
q2, q1, b2, b1 = map(float, sys.argv[1:])
print(f"  quiet: 2 threads {q2*1e3:.1f} ms, 1 thread {q1*1e3:.1f} ms")
print(f"  busy:  2 threads {b2*1e3:.1f} ms ({q2/b2:.2f}x quiet), 1 thread {b1*1e3:.1f} ms ({q1/b1:.2f}x quiet)")
PY

echo "state PPO training, $ITERS iterations of 12,800 env steps:"
train > "$TMP/quiet.txt"
start_busy
train > "$TMP/busy.txt"
stop_busy
python3 - "$TMP/quiet.txt" "$TMP/busy.txt" <<'PY'
import json, statistics, sys
quiet = [float(x) for x in open(sys.argv[1])]
busy = [float(x) for x in open(sys.argv[2])]
q, b = statistics.median(quiet), statistics.median(busy)
print("  quiet SPS per iteration: " + ", ".join(f"{x:.0f}" for x in quiet))
print("  busy  SPS per iteration: " + ", ".join(f"{x:.0f}" for x in busy))
print(f"  median SPS: quiet {q:.0f}, one core busy {b:.0f}: {b/q:.2f}x (goal >= 0.40x)")
print(json.dumps({"quiet_sps": round(q, 1), "busy_sps": round(b, 1), "ratio": round(b / q, 3)}))
PY
