#!/usr/bin/env bash
# Rank 0 at scale: how many trials it hands out and how many epoch reports it records per second,
# with the real scheduler, store and checkpoint files, and a trial executor that only sleeps and
# reports (build/bench/scheduler_bench). Every figure is measured in this one run on this machine,
# at 8, 32 and 128 ranks (oversubscribed), for the design of today (a commit per flush, checkpoint
# files on a thread of their own: "grouped") against the design it replaced (a commit per report,
# checkpoint files written before the next message: "baseline"). Not a test: it prints a table.
#
#   bench/scheduler.sh [RANKS...]      (default: 8 32 128)
#
# Reports: 4 trials per rank, each reporting epochs with a 16 KiB checkpoint, about 12,000
# reports in all; every rank sleeps RANKS/12,000 s per epoch, so the ranks together offer about
# 12,000 reports a second: more than rank 0 is asked to take (5,000), less than would starve it
# of the machine's two cores. Dispatch: 3,000 trials that end as soon as they start.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x build/bench/scheduler_bench ] || scripts/setup.sh
BENCH=$(realpath build/bench/scheduler_bench)
MPI=(mpirun --oversubscribe)
[ "$(id -u)" -eq 0 ] && MPI+=(--allow-run-as-root)
WORK=$(mktemp -d /tmp/runner-schedbench-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
RANKS=("$@")
[ ${#RANKS[@]} -gt 0 ] || RANKS=(8 32 128)

sweep() {  # NAME TRIALS
  cat > "$WORK/$1.toml" <<TOML
name = "$1"
repeats = $2
[data]
dataset = "mnist"
TOML
}
field() { tr ' ' '\n' | sed -n "s/^$1=//p"; }
# RANKS TRIALS EPOCHS EPOCH_MS DESIGN: the bench's line of figures
measure() {
  local db="$WORK/$RANDOM.db"
  sweep s "$2"
  "${MPI[@]}" -np "$1" "$BENCH" "$WORK/s.toml" "$db" "$3" "$4" 16384 "$5" 2>&1 | grep '^ranks='
  rm -rf "$db"* "$WORK"/*.checkpoints
}

printf '| ranks | reports/s grouped | reports/s baseline | ratio | dispatches/s grouped | dispatches/s baseline | ratio |\n'
printf '|---:|---:|---:|---:|---:|---:|---:|\n'
for n in "${RANKS[@]}"; do
  trials=$((4 * n))
  epochs=$(((12000 + trials - 1) / trials))
  epoch_ms=$(echo "$n * 1000 / 12000" | bc -l)
  rg=$(measure "$n" "$trials" "$epochs" "$epoch_ms" grouped | field reports_per_s)
  rb=$(measure "$n" "$trials" "$epochs" "$epoch_ms" baseline | field reports_per_s)
  dg=$(measure "$n" 3000 0 0 grouped | field trials_per_s)
  db=$(measure "$n" 3000 0 0 baseline | field trials_per_s)
  printf '| %d | %.0f | %.0f | %.1f× | %.0f | %.0f | %.1f× |\n' "$n" "$rg" "$rb" \
    "$(echo "$rg / $rb" | bc -l)" "$dg" "$db" "$(echo "$dg / $db" | bc -l)"
done
