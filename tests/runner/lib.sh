# Helpers for the end-to-end tests: sourced, with the runner binary as $1.
set -uo pipefail
RUNNER=$(realpath "$1")
MPIRUN=${MPIRUN:-mpirun}
MPI=("$MPIRUN" --oversubscribe --allow-run-as-root)
WORK=$(mktemp -d /tmp/runner-test-XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT
cd "$WORK"
FAILURES=0
PASSES=0

fail() { echo "FAIL: $*"; FAILURES=$((FAILURES + 1)); }
pass() { PASSES=$((PASSES + 1)); }
check() {  # check DESCRIPTION ACTUAL EXPECTED
  if [ "$2" = "$3" ]; then pass; else fail "$1: got '$2', expected '$3'"; fi
}
sql() { sqlite3 -batch -noheader "$@"; }
finish() {
  echo "$PASSES passed, $FAILURES failed"
  [ "$FAILURES" -eq 0 ]
}

# A small sweep on the embedded MNIST: $1 name, $2 epochs, $3 train_limit, then grid lines.
write_sweep() {
  local name=$1 epochs=$2 limit=$3
  shift 3
  cat > "$name.toml" <<TOML
name = "$name"
[data]
dataset = "mnist"
train_limit = $limit
test_limit = 200
[model]
hidden = [32]
latent = 8
[train]
epochs = $epochs
batch_size = 64
lr = 3e-3
[cluster]
threads_per_rank = 1
[sweep.grid]
$(printf '%s\n' "$@")
TOML
}

# Appends ASHA early stopping to sweep $1: rungs at epochs 1, 3, 9, the best third going on.
add_asha() {
  cat >> "$1.toml" <<'TOML'
[sweep.early_stop]
kind = "asha"
grace_epochs = 1
reduction = 3
TOML
}
