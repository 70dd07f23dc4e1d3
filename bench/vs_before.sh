#!/usr/bin/env bash
# Trials per hour against the runner before the trial-cost work (issue 22), in one run: that
# commit is built beside this one (a git worktree under /tmp, only its `runner` target), and both
# run bench/fuse.sh's small sweep (784-64-8, 16 trials, 3 epochs of batch 64 on the 8,000
# embedded digits, one process), with the same BLAS kernel pinned for both (OPENBLAS_CORETYPE),
# interleaved, the median of REPEATS runs each; then the start and end of a run with nothing to do
# (the sweep already in its database), the median of 7 each. Not a test: it prints numbers and
# ratios.
#
#   bench/vs_before.sh [REPEATS] [COMMIT]   (default 3, and 91e9026^: the commit before the
#                                             first of issue 22's changes)
set -euo pipefail
cd "$(dirname "$0")/.."
REPEATS=${1:-3}
BEFORE=${2:-91e9026^}
source bench/lib.sh
bench_start vs-before
OLD=/tmp/runner-before-$(git rev-parse --short "$BEFORE")
if [ ! -x "$OLD/build/runner" ]; then
  [ -d "$OLD" ] || git worktree add --detach "$OLD" "$BEFORE" >/dev/null
  cmake -S "$OLD" -B "$OLD/build" -DCMAKE_BUILD_TYPE=Release > /dev/null
  cmake --build "$OLD/build" -j"$(nproc)" --target runner > "$OLD/build.log" 2>&1
fi
export RUNNER_DATA_DIR=$PWD/data  # both read this checkout's embedded MNIST
# The kernel OpenBLAS picks here, unless the caller pins another: the new runner would otherwise
# choose its own, which is bench/run.sh's comparison, not this one's.
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-$("$RUNNER" doctor | sed -n 's/.*kernel \([A-Za-z0-9]*\).*/\1/p' | head -n 1)}
bench_sweep "$WORK/small.toml" small 64 8
seconds() {  # BINARY K RUN: wall seconds of the sweep
  local start db=$WORK/$RANDOM-$2-$3.db
  start=$(date +%s.%N)
  "$1" run "$WORK/small.toml" --db "$db" --set cluster.fuse="$2" > "$WORK/out.txt" 2>&1 ||
    { cat "$WORK/out.txt"; exit 1; }
  echo "$(date +%s.%N) - $start" | bc -l
}
declare -A runs
for r in $(seq "$REPEATS"); do
  runs[before]+="$(seconds "$OLD/build/runner" 1 "$r")"$'\n'
  for k in 1 4 16; do runs[now$k]+="$(seconds "$RUNNER" "$k" "$r")"$'\n'; done
done
echo "BLAS kernel pinned for both: OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE; before: $(git rev-parse --short "$BEFORE")"
echo "| runner | K | s per sweep | trials/hour | against before at K = 1 |"
echo "|---|---:|---:|---:|---:|"
base=$(printf '%s' "${runs[before]}" | median)
printf '| before | 1 | %.2f | %.0f | 1.00 |\n' "$base" "$(echo "16 * 3600 / $base" | bc -l)"
for k in 1 4 16; do
  s=$(printf '%s' "${runs[now$k]}" | median)
  printf '| now | %d | %.2f | %.0f | %.2f |\n' "$k" "$s" "$(echo "16 * 3600 / $s" | bc -l)" "$(echo "$base / $s" | bc -l)"
done
idle() {  # BINARY: wall seconds of a run whose trials are all done
  local start
  start=$(date +%s.%N)
  "$1" run "$WORK/small.toml" --db "$WORK/done.db" > /dev/null 2>&1
  echo "$(date +%s.%N) - $start" | bc -l
}
"$RUNNER" run "$WORK/small.toml" --db "$WORK/done.db" > /dev/null 2>&1
declare -A idles
for _ in $(seq 7); do
  idles[before]+="$(idle "$OLD/build/runner")"$'\n'
  idles[now]+="$(idle "$RUNNER")"$'\n'
done
old=$(printf '%s' "${idles[before]}" | median) new=$(printf '%s' "${idles[now]}" | median)
printf 'a run with nothing to do: before %.2f s, now %.2f s (%.2fx)\n' "$old" "$new" "$(echo "$old / $new" | bc -l)"
