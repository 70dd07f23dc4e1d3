#!/usr/bin/env bash
# Where a trial's time goes: the breakdown every trial records (final metrics seconds_<phase>,
# README "Where a trial's time goes"), averaged over a 16-trial sweep, and what is left outside
# the trainer (process start, scheduling, the database). Not a test: it prints numbers.
#
#   bench/trial_cost.sh [K ...]      (default: 1 4; cluster.fuse values to run)
#   KINDS="dense vae" bench/trial_cost.sh   (model.kind of each table; default: dense)
#
# The sweep is bench/fuse.sh's small one (784-64-8, 16 trials, 3 epochs of batch 64 on the 8,000
# embedded training digits, one rank), of each kind in KINDS: a VAE's trial adds the adversary
# and its per-epoch test ELBO. The fixed cost is everything but the training steps.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
bench_start cost
bench_sweep "$WORK/small.toml" small 64 8
PHASES="setup train evaluation checkpoints final probe adversary pictures"
printf '| kind | K | wall s/trial | %s | outside | fixed share |\n' "$(sed 's/ / | /g' <<<"$PHASES")"
printf '|---|---:|---:|%s---:|---:|\n' "$(for _ in $PHASES; do printf -- '---:|'; done)"
for kind in ${KINDS:-dense}; do for k in ${*:-1 4}; do
  db="$WORK/$kind-k$k.db"
  start=$(date +%s.%N)
  "$RUNNER" run "$WORK/small.toml" --db "$db" --set cluster.fuse="$k" --set model.kind="$kind" \
    >/dev/null 2>&1
  wall=$(echo "($(date +%s.%N) - $start) / 16" | bc -l)
  avg() { sqlite3 "$db" "SELECT avg(value) FROM final_metrics WHERE name = '$1'"; }
  row="| $kind | $k | $(printf %.3f "$wall") |" outside=$wall
  for p in $PHASES; do
    row+=" $(printf %.3f "$(avg "seconds_$p")") |"
    outside=$(echo "$outside - $(avg "seconds_$p")" | bc -l)
  done
  share=$(echo "100 * (1 - $(avg seconds_train) / $wall)" | bc -l)
  echo "$row $(printf %.3f "$outside") | $(printf %.0f "$share") % |"
done; done
