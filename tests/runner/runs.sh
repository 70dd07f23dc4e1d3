# Several runs on one database share the sweep (results/leases.h):
# 1. three runs started together (two single processes and one mpirun -np 2) train every trial
#    once, and the epochs they trained add up to trials x epochs;
# 2. a run killed with SIGKILL while another is live: its trial is taken over and resumed from
#    its checkpoint, once its lease lapsed (the killed run on another simulated host, as root) or
#    at once (on this host, where its pid shows it dead); `runner status` shows the runs;
# 3. a run suspended (SIGSTOP) past its lease loses its trial to the other run, and once resumed
#    says so and records nothing more of it;
# 4. the same for a fused array: every member taken over stops, and is recorded once.
source "$(dirname "$0")/lib.sh"

EPOCHS=4
# Wider layers and more epochs for the tests that stop a run mid-trial: a trial in flight is
# easy to catch.
SLOW=(--set 'model.hidden=[256,256]')
LONG=8
# Every trial of $1 completed once, each series epochs 1..$2 exactly once.
expect_complete() {
  local db=$1 EPOCHS=$2 n
  n=$(sql "$db" "SELECT count(*) FROM trials")
  check "$db: every trial completed" "$(sql "$db" "SELECT sum(status = 'completed') FROM trials")" "$n"
  check "$db: series 1..$EPOCHS once each" \
    "$(sql "$db" "SELECT count(*) FROM (SELECT trial_id, name FROM metrics GROUP BY trial_id, name HAVING count(*) = $EPOCHS AND count(DISTINCT epoch) = $EPOCHS AND min(epoch) = 1 AND max(epoch) = $EPOCHS)")" \
    "$(sql "$db" "SELECT count(DISTINCT trial_id || name) FROM metrics")"
  check "$db: final metrics once" "$(sql "$db" "SELECT count(*) FROM final_metrics WHERE name = 'recon_mse'")" "$n"
  check "$db: integrity" "$(sql "$db" "PRAGMA integrity_check")" ok
}

# Waits until run $2 of database $1 trains a trial between epochs 2 and $LONG - 2 (at most a
# minute): one with a checkpoint, well before its end.
wait_mid_trial() {
  local deadline=$((SECONDS + 60))
  while [ $SECONDS -lt $deadline ]; do
    [ -n "$(sql "$1" "SELECT t.id FROM trials t WHERE t.run_id = $2 AND t.status = 'running' AND (SELECT max(epoch) FROM metrics WHERE trial_id = t.id) BETWEEN 2 AND $((LONG - 2))" 2>/dev/null)" ] && return 0
    sleep 0.05
  done
  fail "run $2 of $1 never trained a trial half way"
  return 1
}
# The trial run $2 of database $1 holds.
held_by() { sql "$1" "SELECT id FROM trials WHERE run_id = $2 AND status = 'running'"; }

# 1. Three runs at once.
write_sweep shared $EPOCHS 2000 '"model.latent" = [2, 4, 6, 8, 10, 12]' '"train.lr" = [1e-3, 3e-3]'
"$RUNNER" run shared.toml --db s.db > a.txt 2>&1 &
a=$!
"$RUNNER" run shared.toml --db s.db > b.txt 2>&1 &
b=$!
"${MPI[@]}" -np 2 "$RUNNER" run shared.toml --db s.db > c.txt 2>&1 &
c=$!
wait $a; check "run a exit" $? 0
wait $b; check "run b exit" $? 0
wait $c; check "run c (mpirun) exit" $? 0
expect_complete s.db $EPOCHS
check "each trial trained once" "$(sql s.db "SELECT count(*) FROM trials WHERE attempts = 1")" 12
check "epochs trained across runs" "$(cat a.txt b.txt c.txt | grep -c '^epoch ')" $((12 * EPOCHS))
check "three runs, ended" "$(sql s.db "SELECT count(*) || '/' || count(ended_at) FROM runs")" 3/3
shared=$(sql s.db "SELECT count(DISTINCT run_id) FROM trials")
[ "$shared" -ge 2 ] || fail "one run trained everything: $(sql s.db "SELECT run_id, count(*) FROM trials GROUP BY run_id")"

# 2. SIGKILL while another run is live. $1: "here", or "elsewhere" to run the first run on
# another simulated host.
killed_run_taken_over() {
  local name=$1 db=$1.db first second victim
  write_sweep "$name" $LONG 4000 '"model.latent" = [2, 4, 6, 8, 10, 12, 14, 16]'
  local run=("$RUNNER" run "$name.toml" --db "$db" --set cluster.lease_s=3 "${SLOW[@]}")
  if [ "$name" = elsewhere ]; then
    setsid unshare -u sh -c 'hostname nodeB; exec "$@"' sh "${run[@]}" > "$name-1.txt" 2>&1 &
  else
    setsid "${run[@]}" > "$name-1.txt" 2>&1 &
  fi
  first=$!
  sleep 1
  "${run[@]}" > "$name-2.txt" 2>&1 &
  second=$!
  wait_mid_trial "$db" 1 || return
  "$RUNNER" status --db "$db" > "$name-status1.txt"
  pkill -KILL -s "$first"
  wait "$first" 2>/dev/null
  victim=$(held_by "$db" 1)
  grep -q "run 1  live .* $victim" "$name-status1.txt" || fail "$name: status while live: $(cat "$name-status1.txt")"
  wait "$second"
  check "$name: the live run's exit" $? 0
  expect_complete "$db" $LONG
  check "$name: the victim taken over from its checkpoint" \
    "$(sql "$db" "SELECT attempts || ' ' || run_id || ' ' || (resumed_from >= 1) FROM trials WHERE id = '$victim'")" "2 2 1"
  grep -q "^resume   $victim" "$name-2.txt" || fail "$name: no resume of $victim: $(grep -v '^epoch' "$name-2.txt")"
  check "$name: the killed run never ended" "$(sql "$db" "SELECT count(*) FROM runs WHERE id = 1 AND ended_at IS NULL")" 1
}
killed_run_taken_over here ""
if [ "$(id -u)" -eq 0 ] && unshare -u true 2>/dev/null; then
  # On another host name its pid says nothing here: the lease must lapse first.
  killed_run_taken_over elsewhere
  grep -q "run 1  live  nodeB" elsewhere-status1.txt || fail "status names the other host: $(cat elsewhere-status1.txt)"
else
  echo "SKIP: a run on another simulated host needs root (unshare -u)"
fi

# The status of a dead run that still holds a trial: LOST.
write_sweep dead $LONG 4000 '"model.latent" = [2, 4]'
setsid "$RUNNER" run dead.toml --db d.db "${SLOW[@]}" > dead.txt 2>&1 &
run=$!
wait_mid_trial d.db 1
pkill -KILL -s "$run"
wait "$run" 2>/dev/null
victim=$(held_by d.db 1)
"$RUNNER" status --db d.db | grep -q "run 1  LOST .* 1 trial(s) $victim; the next run to look takes them over" ||
  fail "status of a dead run: $("$RUNNER" status --db d.db)"

# 3. Suspended past its lease: run 1 of sweep $1 (database $2; further arguments go to both
# runs) is suspended mid-trial while run 2 takes its trials over, then resumed. Sets TAKEN to
# the number of trials taken over.
suspend_past_lease() {
  local name=$1 db=$2 first second victims victim deadline
  shift 2
  "$RUNNER" run "$name.toml" --db "$db" --set cluster.lease_s=2 "${SLOW[@]}" "$@" > "$db.1.txt" 2>&1 &
  first=$!
  wait_mid_trial "$db" 1
  # Suspended outside a transaction (a run suspended inside one holds the database's lock: see
  # README), which a write with a short busy timeout shows.
  for _ in $(seq 20); do
    kill -STOP $first
    sqlite3 -cmd ".timeout 200" "$db" "BEGIN IMMEDIATE; ROLLBACK;" 2>/dev/null && break
    kill -CONT $first
    sleep 0.05
  done
  victims=$(held_by "$db" 1)
  "$RUNNER" run "$name.toml" --db "$db" --set cluster.lease_s=2 "${SLOW[@]}" "$@" > "$db.2.txt" 2>&1 &
  second=$!
  deadline=$((SECONDS + 60))
  until [ "$(sql "$db" "SELECT count(*) FROM trials WHERE run_id = 1 AND status = 'running'")" = 0 ] || [ $SECONDS -gt $deadline ]; do sleep 0.2; done
  kill -CONT $first
  wait $first; check "$db: suspended run's exit" $? 0
  wait $second; check "$db: the other run's exit" $? 0
  expect_complete "$db" $LONG
  for victim in $victims; do
    grep -q "^LOST     $victim" "$db.1.txt" || fail "the suspended run did not notice $victim: $(grep -v '^epoch' "$db.1.txt")"
    check "$db: the suspended run's trial finished by the other" "$(sql "$db" "SELECT run_id || ' ' || attempts FROM trials WHERE id = '$victim'")" "2 2"
  done
  TAKEN=$(echo "$victims" | wc -w)
}
write_sweep suspended $LONG 4000 '"model.latent" = [2, 4, 6, 8, 10, 12]'
suspend_past_lease suspended p.db
check "one trial taken over" "$TAKEN" 1
# 4. The same with fused arrays of 3: the members taken over stop, each recorded once by the
# run that took them.
write_sweep fused $LONG 4000 '"train.lr" = [1e-3, 2e-3, 3e-3, 4e-3, 5e-3, 6e-3]'
suspend_past_lease fused f.db --set cluster.fuse=3
check "a whole array taken over" "$TAKEN" 3
finish
