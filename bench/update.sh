#!/usr/bin/env bash
# PPO update benchmark: minibatch updates of the real agent with OpenBLAS kept to one thread under
# libtorch's (what training does) beside both libraries at their defaults, medians of 5 rounds.
# Figures go to bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-build/sim2real}
"$BIN" bench update --obs-mode state --minibatch 400 --rounds 5
echo
"$BIN" bench update --obs-mode rgb --resolution 128 --minibatch 128 --rounds 5
