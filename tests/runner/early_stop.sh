# Early stopping ([sweep.early_stop], ASHA): trials worse than the best third at a rung end
# `pruned`, with their series up to that epoch and final metrics of the model there; each
# decision is recorded with its value; a rerun adds nothing; a kill mid-sweep and a rerun keep
# every decision taken; a group of two ranks stops together.
source "$(dirname "$0")/lib.sh"

# The learning rates from the best down: asynchronous ASHA keeps whatever arrives first at a
# rung, so this order (not the reverse) lets it show its pruning whatever the timing.
write_sweep asha 9 500 '"train.lr" = [5e-2, 2e-2, 1e-2, 3e-3, 1e-3, 3e-4, 1e-4, 3e-5, 1e-5]' \
  '"model.latent" = [4, 8]'
cat >> asha.toml <<'TOML'
[sweep.early_stop]
kind = "asha"
metric = "test_recon_mse"
grace_epochs = 1
reduction = 3
TOML

# $1 database: what every run of this sweep must show.
check_pruned() {
  local db=$1
  check "$db: every trial completed or pruned" "$(sql "$db" "SELECT count(*) FROM trials WHERE status IN ('completed', 'pruned')")" 18
  [ "$(sql "$db" "SELECT count(*) FROM trials WHERE status = 'pruned'")" -ge 6 ] || fail "$db: fewer than 6 of 18 pruned"
  check "$db: a pruned trial's series ends where it was stopped" "$(sql "$db" "SELECT count(*) FROM trials t
    WHERE status = 'pruned' AND (SELECT max(epoch) FROM metrics WHERE trial_id = t.id) =
      (SELECT epoch FROM decisions WHERE trial_id = t.id AND decision = 'stop') AND (SELECT epoch FROM decisions
      WHERE trial_id = t.id AND decision = 'stop') IN (1, 3)")" "$(sql "$db" "SELECT count(*) FROM trials WHERE status = 'pruned'")"
  check "$db: pruned trials have final metrics" "$(sql "$db" "SELECT count(*) FROM trials t WHERE status = 'pruned'
    AND NOT EXISTS (SELECT 1 FROM final_metrics WHERE trial_id = t.id AND name = 'recon_mse')")" 0
  check "$db: completed trials went on at every rung" "$(sql "$db" "SELECT count(*) FROM decisions d JOIN trials t ON t.id = d.trial_id
    WHERE t.status = 'completed' AND d.decision = 'stop'")" 0
  check "$db: decisions only at rungs, with their values" "$(sql "$db" "SELECT count(*) FROM decisions WHERE epoch NOT IN (1, 3, 9) OR value IS NULL")" 0
  check "$db: no checkpoint left" "$(find "${db%.db}.checkpoints" -name '*.ckpt' 2>/dev/null | wc -l)" 0
}

"${MPI[@]}" -np 3 "$RUNNER" run asha.toml --db a.db > run1.txt 2>&1
check "exit code" "$?" 0
check_pruned a.db
grep -q "stopped early" run1.txt || fail "the console does not say which trials stopped early"
"$RUNNER" status --db a.db > status.txt
grep -qE "pruned [1-9]" status.txt || fail "status does not count pruned trials: $(cat status.txt)"
"$RUNNER" run asha.toml --db a.db > run2.txt 2>&1
check "rerun: nothing to run" "$(head -n 1 run2.txt | grep -o '[0-9]* to run')" "0 to run"

# Killed once the first trials were pruned, then run again.
setsid "${MPI[@]}" -np 3 "$RUNNER" run asha.toml --db k.db > kill1.txt 2>&1 &
launcher=$!
for _ in $(seq 600); do [ "$(grep -c '^pruned ' kill1.txt)" -ge 2 ] && break; sleep 0.05; done
kill_job "$launcher"
sql k.db "SELECT trial_id, epoch, value, decision FROM decisions ORDER BY 1, 2" > before.txt
[ -s before.txt ] || fail "no decision recorded before the kill"
"${MPI[@]}" -np 3 "$RUNNER" run asha.toml --db k.db > kill2.txt 2>&1
check "rerun after the kill: exit code" "$?" 0
sql k.db "SELECT trial_id, epoch, value, decision FROM decisions ORDER BY 1, 2" > after.txt
check "every decision taken before the kill stands" "$(comm -23 before.txt after.txt | wc -l)" 0
check_pruned k.db

# Stopped, then "killed" before its result was recorded (its row set back to running): the rerun
# goes on from its checkpoint at the epoch where it was stopped and ends pruned there at once.
"${MPI[@]}" -np 2 "$RUNNER" run asha.toml --db r.db --keep-checkpoints > r1.txt 2>&1
t=$(sql r.db "SELECT id FROM trials WHERE status = 'pruned' ORDER BY id LIMIT 1")
e=$(sql r.db "SELECT max(epoch) FROM metrics WHERE trial_id = '$t'")
sql r.db "UPDATE trials SET status = 'running' WHERE id = '$t'; DELETE FROM final_metrics WHERE trial_id = '$t'"
"$RUNNER" run asha.toml --db r.db > r2.txt 2>&1
check "stopped before a kill: exit code" "$?" 0
grep -q "^resume   $t on rank 0 (.*)  from epoch $e " r2.txt || fail "not resumed at epoch $e: $(grep "$t" r2.txt)"
check "stopped before a kill: pruned again, no epoch trained" \
  "$(sql r.db "SELECT status, (SELECT max(epoch) FROM metrics WHERE trial_id = id), (SELECT count(*) FROM final_metrics WHERE trial_id = id AND name = 'recon_mse') FROM trials WHERE id = '$t'")" "pruned|$e|1"

# Two ranks per trial: the whole group stops together.
"${MPI[@]}" -np 2 "$RUNNER" run asha.toml --db dp.db --set cluster.ranks_per_trial=2 --set train.device=cpu > dp.txt 2>&1
check "data parallel: exit code" "$?" 0
check "data parallel: every trial on both ranks" "$(sql dp.db "SELECT group_concat(DISTINCT ranks) FROM trials")" "[0,1]"
check_pruned dp.db
finish
