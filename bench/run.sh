#!/usr/bin/env bash
# Speed of the runner against the PyTorch (Python) loop a researcher would otherwise write, all
# measured in this one run on this machine. Not a test: it prints numbers and ratios.
#
#   bench/run.sh [REPEATS]      (default 3; each figure is the median, runs interleaved)
#
# 1. One dense-AE trial (784-256-64, ReLU, Adam 1e-3, batch 128, 5 epochs, the embedded MNIST's
#    8,000 training digits): samples/s of the runner with 1 rank, with 2 ranks in data parallel
#    (mpirun -np 2: rank 0 trains beside its scheduling), and of bench/baseline.py on Debian's
#    python3-torch, all at 1 thread per process, plus 1 process at 2 threads for both.
# 2. A sweep of 16 small trials: trials per hour with 1 rank (2 threads; and 1 thread, for the
#    ceiling of what 2 ranks can give here) and with 2 ranks (1 thread each; rank 0 schedules
#    and trains), and how long a rank waited for its next trial
#    while rank 0 trained (the runner's "dispatch:" line), against 3 ranks of which rank 0 only
#    schedules (cluster.rank0_trains = false): the same two training slots.
set -euo pipefail
cd "$(dirname "$0")/.."
REPEATS=${1:-3}
RUNNER=build/runner
PYTHON=/usr/bin/python3  # Debian's interpreter, the one python3-torch is built for
[ -x "$RUNNER" ] || scripts/setup.sh
if ! "$PYTHON" -c "import torch" 2>/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-torch >/dev/null
fi
MPI=(mpirun --oversubscribe)
[ "$(id -u)" -eq 0 ] && MPI+=(--allow-run-as-root)
WORK=$(mktemp -d /tmp/runner-bench-XXXXXX)
trap 'rm -rf "$WORK"' EXIT

cat > "$WORK/trial.toml" <<TOML
name = "bench-trial"
[model]
hidden = [256]
latent = 64
[train]
epochs = 5
batch_size = 128
lr = 1e-3
device = "cpu"
TOML
cat > "$WORK/sweep.toml" <<TOML
name = "bench-sweep"
[data]
train_limit = 4000
test_limit = 1000
[model]
hidden = [128]
[train]
epochs = 3
device = "cpu"
[sweep.grid]
"model.latent" = [4, 8, 16, 32]
"train.lr" = [1e-3, 2e-3, 3e-3, 5e-3]
TOML

runner_rate() {  # THREADS [LAUNCH...]: samples/s of one trial, from the database
  local threads=$1 db="$WORK/t$RANDOM.db"
  shift
  "$@" "$RUNNER" run "$WORK/trial.toml" --db "$db" --set cluster.threads_per_rank="$threads" ${DP:+--set cluster.ranks_per_trial=$DP} >/dev/null 2>&1
  sqlite3 "$db" "SELECT value FROM final_metrics WHERE name = 'samples_per_s'"
}
python_rate() { "$PYTHON" bench/baseline.py data/mnist "$1" 5 128 | sed 's/samples_per_s=//'; }
sweep_seconds() {  # LAUNCH...: wall seconds of the 16-trial sweep; keeps its console in $WORK/last
  local db="$WORK/s$RANDOM.db" start end
  start=$(date +%s.%N)
  "$@" "$RUNNER" run "$WORK/sweep.toml" --db "$db" ${SCHEDULER_ONLY:+--set cluster.rank0_trains=false} \
    ${ONE_THREAD:+--set cluster.threads_per_rank=1} >"$WORK/last" 2>&1
  end=$(date +%s.%N)
  echo "$end - $start" | bc -l
}
# The median dispatch wait, in ms, of the last sweep ("dispatch: groups waited 1.2 ms median, ...").
dispatch_ms() { sed -n 's/^dispatch: groups waited \([0-9.]*\) ms median.*/\1/p' "$WORK/last"; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -A samples
for ((i = 1; i <= REPEATS; ++i)); do
  samples[py1]+="$(python_rate 1) "
  samples[run1]+="$(runner_rate 1) "
  samples[dp2]+="$(DP=2 runner_rate 1 "${MPI[@]}" -np 2) "
  samples[py2]+="$(python_rate 2) "
  samples[run2]+="$(runner_rate 2) "
  samples[sweep1]+="$(sweep_seconds) "
  samples[sweep1t]+="$(ONE_THREAD=1 sweep_seconds) "
  samples[sweep2]+="$(sweep_seconds "${MPI[@]}" -np 2) "
  samples[wait2]+="$(dispatch_ms) "
  samples[sweep3]+="$(SCHEDULER_ONLY=1 sweep_seconds "${MPI[@]}" -np 3) "
  samples[wait3]+="$(dispatch_ms) "
done
m() { tr ' ' '\n' <<<"${samples[$1]}" | grep . | median; }
py1=$(m py1) run1=$(m run1) dp2=$(m dp2) py2=$(m py2) run2=$(m run2) s1=$(m sweep1) s2=$(m sweep2)
w2=$(m wait2) s3=$(m sweep3) w3=$(m wait3) s1t=$(m sweep1t)
ratio() { printf '%.2f' "$(echo "$1 / $2" | bc -l)"; }
printf '\nmachine: %s, %s cores; medians of %s interleaved runs\n\n' "$(uname -m)" "$(nproc)" "$REPEATS"
printf '| one dense-AE trial (784-256-64, batch 128) | samples/s | vs Python, 1 thread |\n|---|---|---|\n'
printf '| PyTorch Python loop, 1 thread | %.0f | 1.00 |\n' "$py1"
printf '| runner, 1 rank x 1 thread | %.0f | %s |\n' "$run1" "$(ratio "$run1" "$py1")"
printf '| runner, 2 ranks in data parallel x 1 thread | %.0f | %s |\n' "$dp2" "$(ratio "$dp2" "$py1")"
printf '| PyTorch Python loop, 2 threads | %.0f | %s |\n' "$py2" "$(ratio "$py2" "$py1")"
printf '| runner, 1 rank x 2 threads | %.0f | %s (%s vs Python at 2 threads) |\n' "$run2" "$(ratio "$run2" "$py1")" "$(ratio "$run2" "$py2")"
printf '\n| sweep of 16 small trials | seconds | trials/hour | vs 1 rank |\n|---|---|---|---|\n'
printf '| runner, 1 rank | %.1f | %.0f | 1.00 |\n' "$s1" "$(echo "16 * 3600 / $s1" | bc -l)"
printf '| runner, 1 rank x 1 thread | %.1f | %.0f | %s |\n' "$s1t" "$(echo "16 * 3600 / $s1t" | bc -l)" "$(ratio "$s1" "$s1t")"
printf '| runner, 2 ranks sharing the node | %.1f | %.0f | %s |\n' "$s2" "$(echo "16 * 3600 / $s2" | bc -l)" "$(ratio "$s1" "$s2")"
printf '| runner, 3 ranks, rank 0 only schedules | %.1f | %.0f | %s |\n' "$s3" "$(echo "16 * 3600 / $s3" | bc -l)" "$(ratio "$s1" "$s3")"
# Two ranks of one thread each can at best double one rank of one thread; one rank of two
# threads already takes part of that: the ceiling of 2 ranks against 1 on this machine.
printf '\nceiling of 2 ranks against 1 rank here: 2 x (1 rank x 1 thread) = %s x 1 rank; measured %s\n' \
  "$(ratio "2 * $s1" "$s1t")" "$(ratio "$s1" "$s2")"
printf '\n| a rank waits for its next trial (median) | ms |\n|---|---|\n'
printf '| 2 ranks, rank 0 trains beside its scheduling | %s |\n' "$w2"
printf '| 3 ranks, rank 0 only schedules | %s |\n' "$w3"
