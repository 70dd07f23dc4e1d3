# What the benchmarks share; sourced after `cd` to the repository root.

# bench_start NAME: RUNNER (build/runner, set up first where it is missing) and WORK, a scratch
# folder /tmp/runner-NAME-* removed on exit.
bench_start() {
  RUNNER=$PWD/build/runner
  [ -x "$RUNNER" ] || scripts/setup.sh
  WORK=$(mktemp -d "/tmp/runner-$1-XXXXXX")
  trap 'rm -rf "$WORK"' EXIT
}

# bench_sweep FILE NAME HIDDEN LATENT [DEVICE]: the benchmarks' 16-trial sweep (4 learning rates x
# 4 repeats), 3 epochs of batch 64 on the 8,000 embedded training digits; bench/fuse.sh's "small"
# (hidden 64, code 8) is the issue's small AE that trial_cost.sh and vs_before.sh run too.
bench_sweep() {
  cat > "$1" <<TOML
name = "$2"
repeats = 4
[model]
hidden = [$3]
latent = $4
[train]
epochs = 3
batch_size = 64
device = "${5:-auto}"
[sweep.grid]
"train.lr" = [1e-3, 2e-3, 3e-3, 5e-3]
TOML
}

# The median of the numbers on stdin, one per line.
median() { sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
