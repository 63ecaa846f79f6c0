#!/usr/bin/env bash
# The Jetbot on a CPU, from scratch: a state PPO teacher on JetbotGoal-v0, an rgb student distilled from it
# (the camera policy the robot runs), and PPO from pixels on the seed's Isaac-Jetbot-Direct-v0.
#
# Usage: bash bench/jetbot.sh [SEED]                                         (default 1)
#   ENV_JSON        JetbotGoal-v0's env config (default configs/envs/jetbot_goal.json: 96x96 camera,
#                   randomization on)
#   TEACHER_STEPS   the teacher's budget (default 204_800; its 32-episode evals reach 1.0 by ~41k)
#   STUDENT_STEPS   the student's budget (default 409_600)
#   DIRECT_STEPS    PPO from pixels on Isaac-Jetbot-Direct-v0 (default 102_400; 0 skips it)
#   DIR             the folder of the runs (default runs/jetbot-<seed>; refused if it holds these runs)
#   BIN             the sim2real binary (default build/sim2real)
# Re-evaluates the teacher's and the student's final checkpoints on 256 episodes (seed 100) and the Direct
# policy and its untrained first checkpoint on 16, and prints, last, one JSON line:
#   {"seed", "teacher_success_once", "teacher_env_steps", "teacher_seconds", "student_success_once",
#    "student_env_steps", "student_seconds", "direct_success_once", "direct_return",
#    "direct_untrained_success_once", "direct_untrained_return", "direct_seconds"}
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi
SEED=${1:-1}
[[ "$SEED" =~ ^[0-9]+$ ]] || { echo "jetbot.sh: SEED must be a non-negative integer, got '$SEED'" >&2; exit 2; }
BIN=${BIN:-build/sim2real}
DIR=${DIR:-runs/jetbot-$SEED}
ENV_JSON=${ENV_JSON:-configs/envs/jetbot_goal.json}
TEACHER_STEPS=${TEACHER_STEPS:-204_800}
STUDENT_STEPS=${STUDENT_STEPS:-409_600}
DIRECT_STEPS=${DIRECT_STEPS:-102_400}
for run in teacher student direct; do
  [[ -e "$DIR/$run" ]] && { echo "jetbot.sh: $DIR/$run exists; pass another DIR or remove it" >&2; exit 2; }
done
mkdir -p "$DIR"

json_field() {  # file key -> value of the last JSON line's key
  python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])[sys.argv[2]])' "$1" "$2"
}
reeval() {  # checkpoint episodes out.json [extra flags]
  local ckpt=$1 n=$2 out=$3
  shift 3
  "$BIN" eval --checkpoint "$ckpt" --num-episodes "$n" --num-envs 64 --seed 100 --json "$@" > "$out"
}

# ------------------------------------------------------------------ the teacher (privileged state)
t0=$(date +%s)
"$BIN" train --algo ppo --env-id JetbotGoal-v0 --obs-mode state --env-kwargs-json-path "$ENV_JSON" \
  --ppo.seed="$SEED" --ppo.num-envs=64 --ppo.num-steps=64 --ppo.total-timesteps="$TEACHER_STEPS" \
  --ppo.gamma=0.97 --ppo.gae-lambda=0.95 --ppo.update-epochs=4 --ppo.num-minibatches=8 \
  --ppo.num-eval-envs=32 --ppo.num-eval-steps=150 --ppo.eval-freq=10 --ppo.no-capture-video \
  --runs-dir "$DIR" --ppo.exp-name=teacher --json > "$DIR/teacher.json" 2> "$DIR/teacher.log"
teacher_seconds=$(( $(date +%s) - t0 ))
teacher=$DIR/teacher/final_ckpt.pt
reeval "$teacher" 256 "$DIR/teacher.eval.json" --env-kwargs-json-path "$ENV_JSON"

# ------------------------------------------------------------------ the student (camera + last action)
t1=$(date +%s)
"$BIN" train --algo distill --teacher "$teacher" --env-id JetbotGoal-v0 --obs-mode rgb \
  --env-kwargs-json-path "$ENV_JSON" --ppo.seed="$SEED" --ppo.num-envs=64 --ppo.num-steps=32 \
  --ppo.total-timesteps="$STUDENT_STEPS" --ppo.num-eval-envs=16 --ppo.num-eval-steps=150 --ppo.eval-freq=10 \
  --runs-dir "$DIR" --ppo.exp-name=student --json > "$DIR/student.json" 2> "$DIR/student.log"
student_seconds=$(( $(date +%s) - t1 ))
reeval "$DIR/student/final_ckpt.pt" 256 "$DIR/student.eval.json" --env-kwargs-json-path "$ENV_JSON"

# ------------------------------------------------------------------ the seed's task, PPO from pixels
direct_fields='"direct_success_once": null, "direct_return": null, "direct_untrained_success_once": null, "direct_untrained_return": null, "direct_seconds": 0'
if [[ "${DIRECT_STEPS//_/}" != "0" ]]; then
  # 64x64 camera (the seed's 224x224 costs 12x the CNN time on a CPU); the reward exp(1/d) - 30 is the
  # seed's, scaled by 1e-3 for the value function (it reaches ~6e4 per step at the block).
  echo '{"sensor_configs": {"width": 64, "height": 64}}' > "$DIR/direct_env.json"
  t2=$(date +%s)
  "$BIN" train --algo ppo --env-id Isaac-Jetbot-Direct-v0 --obs-mode rgb --env-kwargs-json-path "$DIR/direct_env.json" \
    --ppo.seed="$SEED" --ppo.num-envs=32 --ppo.num-steps=64 --ppo.total-timesteps="$DIRECT_STEPS" \
    --ppo.gamma=0.99 --ppo.gae-lambda=0.95 --ppo.update-epochs=4 --ppo.num-minibatches=8 --ppo.reward-scale=0.001 \
    --ppo.num-eval-envs=8 --ppo.num-eval-steps=150 --ppo.eval-freq=10 \
    --runs-dir "$DIR" --ppo.exp-name=direct --json > "$DIR/direct.json" 2> "$DIR/direct.log"
  direct_seconds=$(( $(date +%s) - t2 ))
  # The trained policy and the untrained one (ckpt_1.pt: before any update) on 16 episodes each: success
  # (within 0.2 m of the block at some step) and the seed's return (exp(1/d) - 30 per step, unscaled:
  # about -26 per step at the start distance).
  reeval "$DIR/direct/final_ckpt.pt" 16 "$DIR/direct.eval.json" --env-kwargs-json-path "$DIR/direct_env.json"
  reeval "$DIR/direct/ckpt_1.pt" 16 "$DIR/direct.untrained.json" --env-kwargs-json-path "$DIR/direct_env.json"
  direct_fields="\"direct_success_once\": $(json_field "$DIR/direct.eval.json" success_once), \"direct_return\": $(json_field "$DIR/direct.eval.json" return), \"direct_untrained_success_once\": $(json_field "$DIR/direct.untrained.json" success_once), \"direct_untrained_return\": $(json_field "$DIR/direct.untrained.json" return), \"direct_seconds\": $direct_seconds"
fi

echo "{\"seed\": $SEED, \"teacher_success_once\": $(json_field "$DIR/teacher.eval.json" success_once), \"teacher_env_steps\": $(json_field "$DIR/teacher.eval.json" checkpoint_global_step), \"teacher_seconds\": $teacher_seconds, \"student_success_once\": $(json_field "$DIR/student.eval.json" success_once), \"student_env_steps\": $(json_field "$DIR/student.eval.json" checkpoint_global_step), \"student_seconds\": $student_seconds, $direct_fields}"
