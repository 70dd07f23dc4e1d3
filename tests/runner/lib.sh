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
# SIGKILL to the job started by `setsid ... &` as $1, all of it: Open MPI puts each rank in a
# process group of its own, but all share mpirun's session. Returns once every rank is gone: one
# still alive would hold its trial's lease against the rerun.
kill_job() {
  pkill -KILL -s "$1"
  wait "$1" 2>/dev/null
  for _ in $(seq 50); do pgrep -s "$1" > /dev/null || break; sleep 0.1; done
  pgrep -s "$1" > /dev/null && fail "ranks survived the kill"
}
# Invalid input: exit code 2, stderr says EXPECTED-TEXT, and nothing is written.
expect_invalid() {  # DESCRIPTION EXPECTED-TEXT COMMAND...
  local what=$1 text=$2
  shift 2
  rm -rf runs out.db job.sbatch
  "$@" < /dev/null > stdout.txt 2> stderr.txt  # not the rows' here-document
  local rc=$?
  check "$what: exit code" "$rc" 2
  grep -qF -- "$text" stderr.txt || fail "$what: stderr lacks '$text': $(cat stderr.txt)"
  [ ! -e runs ] && [ ! -e out.db ] || fail "$what: wrote a database"
  [ ! -e job.sbatch ] || fail "$what: wrote a batch script"
}

trim() {  # TEXT: without leading and trailing blanks
  local s=$1
  s=${s#"${s%%[![:space:]]*}"}
  printf '%s' "${s%"${s##*[![:space:]]}"}"
}

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
fuse_fits_cache = false  # arrays as large as cluster.fuse asks, whatever this CPU's cache
[sweep.grid]
$(printf '%s\n' "$@")
TOML
}

# Until some running trial of database $1 has recorded at least $2 epochs in its current attempt
# (or the run $3 ended); $4, if given, narrows the trials (an SQL condition on trials t).
wait_for_epochs() {
  local db=$1 want=$2 pid=$3 narrow=${4:-1} deadline=$((SECONDS + 120)) got
  while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do
    got=$(sql "$db" "SELECT coalesce(max(m.epoch), 0) FROM metrics m JOIN trials t ON t.id = m.trial_id WHERE t.status = 'running' AND m.attempt = t.attempts AND ($narrow)" 2>/dev/null)
    [ "${got:-0}" -ge "$want" ] && return 0
    sleep 0.05
  done
  fail "no running trial reached epoch $want"
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
