#!/usr/bin/env bash
# Fused arrays (cluster.fuse): trials per hour of a 16-trial sweep trained in arrays of K = 1, 4
# and 16, as ratios against K = 1 measured in the same run, on this machine. Not a test: it prints
# numbers and ratios.
#
#   bench/fuse.sh [REPEATS] [DEVICE]     (default 3 and cpu; each figure is the median, runs
#                                         interleaved; DEVICE cuda on a GPU machine)
#
# Two models, each a sweep of 16 trials (4 learning rates x 4 repeats) on the embedded MNIST's
# 8,000 training digits, 3 epochs, batch 64, one rank:
#   small:      hidden [64], code 8 (the issue's small AE)
#   784-256-64: the documents' dense AE
# For each: wall-clock trials per hour of `runner run`, everything included (set-up, the test
# error after each epoch, each trial's final evaluation and pictures, the database), and the
# training throughput alone: samples trained per second of training steps, over all trials.
set -euo pipefail
cd "$(dirname "$0")/.."
REPEATS=${1:-3}
DEVICE=${2:-cpu}
source bench/lib.sh
bench_start fuse
bench_sweep "$WORK/small.toml" small 64 8 "$DEVICE"
bench_sweep "$WORK/paper.toml" paper 256 64 "$DEVICE"

# MODEL K: "SECONDS TRAIN_SAMPLES_PER_S" of one run. An array's members share its training time,
# so the sweep's training time is the sum over arrays (a trial alone is an array of one).
measure() {
  local db="$WORK/$1-$2-$RANDOM.db" start end
  start=$(date +%s.%N)
  "$RUNNER" run "$WORK/$1.toml" --db "$db" --set cluster.fuse="$2" >/dev/null 2>&1
  end=$(date +%s.%N)
  local train
  train=$(sqlite3 "$db" "SELECT sum(seconds) FROM (SELECT max(8000 * 3 / f.value) AS seconds FROM final_metrics f JOIN trials t ON t.id = f.trial_id WHERE f.name = 'samples_per_s' GROUP BY coalesce(t.array_id, t.id))")
  echo "$(echo "$end - $start" | bc -l) $(echo "16 * 8000 * 3 / $train" | bc -l)"
}

declare -A seconds rate
for ((i = 1; i <= REPEATS; ++i)); do
  for model in small paper; do
    for k in 1 4 16; do
      read -r s r < <(measure "$model" "$k")
      seconds[$model-$k]+="$s "
      rate[$model-$k]+="$r "
    done
  done
done
m() { tr ' ' '\n' <<<"$1" | grep . | median; }
ratio() { printf '%.2f' "$(echo "$1 / $2" | bc -l)"; }
printf '\nmachine: %s, %s cores, %s; medians of %s interleaved runs\n\n' "$(uname -m)" "$(nproc)" "$DEVICE" "$REPEATS"
printf '| model | K | trials/hour | vs K = 1 | training samples/s | vs K = 1 |\n|---|---|---|---|---|---|\n'
for model in small paper; do
  s1=$(m "${seconds[$model-1]}") r1=$(m "${rate[$model-1]}")
  for k in 1 4 16; do
    s=$(m "${seconds[$model-$k]}") r=$(m "${rate[$model-$k]}")
    printf '| %s | %s | %.0f | %s | %.0f | %s |\n' "$([ $model = small ] && echo '784-64-8' || echo '784-256-64')" \
      "$k" "$(echo "16 * 3600 / $s" | bc -l)" "$(ratio "$s1" "$s")" "$r" "$(ratio "$r" "$r1")"
  done
done
