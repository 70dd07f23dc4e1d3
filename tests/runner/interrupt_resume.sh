# Stopped by signals, then run again: SIGTERM to a lone process, SIGUSR1 through mpirun. Each
# stop exits 3 with the trials in flight interrupted and checkpointed; the runs that follow resume
# them, and the sweep ends exactly as an uninterrupted run of it (same ranks per trial, threads).
source "$(dirname "$0")/lib.sh"

EPOCHS=10
write_sweep stopped $EPOCHS 8000 '"model.latent" = [4, 8, 12]'

"$RUNNER" run stopped.toml --db ref.db > ref.txt 2>&1
check "uninterrupted run" "$?" 0

# 1. One process, SIGTERM.
"$RUNNER" run stopped.toml --db s.db > run1.txt 2>&1 &
pid=$!
wait_for_epochs s.db 3 "$pid"
kill -TERM "$pid"
wait "$pid"
check "exit code after SIGTERM" "$?" 3
check "trials interrupted" "$(sql s.db "SELECT count(*) FROM trials WHERE status = 'interrupted'")" 1
stopped=$(sql s.db "SELECT id FROM trials WHERE status = 'interrupted'")
[ -f "s.checkpoints/stopped/$stopped.ckpt" ] || fail "no checkpoint for $stopped: $(ls -R s.checkpoints 2>&1)"
"$RUNNER" status --db s.db > status.txt
grep -q "interrupted 1" status.txt || fail "status: $(cat status.txt)"
grep -q "interrupted  $stopped  epoch [1-9]" status.txt || fail "status lacks the epoch: $(cat status.txt)"

# A checkpoint with no series behind it (here: the database started afresh) is not resumed from.
mkdir -p fresh.checkpoints && cp -r s.checkpoints/stopped fresh.checkpoints/
"$RUNNER" run stopped.toml --db fresh.db > fresh.txt 2>&1
check "fresh database run" "$?" 0
grep -q "warning: .*$stopped.ckpt is at epoch [0-9]* but the database lacks epochs before it" fresh.txt ||
  fail "no warning about the foreign checkpoint: $(grep -i warn fresh.txt)"
check "fresh series complete" "$(sql fresh.db "SELECT count(*) FROM metrics WHERE name = 'train_loss'")" $((3 * EPOCHS))

# 2. Three ranks under mpirun, SIGUSR1 to mpirun, which passes it on to every rank.
"${MPI[@]}" -np 3 "$RUNNER" run stopped.toml --db s.db > run2.txt 2>&1 &
pid=$!
wait_for_epochs s.db 2 "$pid"
kill -USR1 "$pid"
wait "$pid"
check "exit code after SIGUSR1" "$?" 3
grep -q "^resume   $stopped .* from epoch [1-9]" run2.txt || fail "did not resume $stopped: $(grep "$stopped" run2.txt | head -n 2)"
[ "$(sql s.db "SELECT count(*) FROM trials WHERE status = 'interrupted'")" -ge 1 ] ||
  fail "nothing interrupted by SIGUSR1: $(tail -n 3 run2.txt)"

# 3. To the end.
"${MPI[@]}" -np 3 "$RUNNER" run stopped.toml --db s.db > run3.txt 2>&1
check "final run" "$?" 0
check "every trial once, completed" "$(sql s.db "SELECT count(*) || '/' || sum(status = 'completed') FROM trials")" "3/3"
check "each series has epochs 1..$EPOCHS once" \
  "$(sql s.db "SELECT count(*) FROM (SELECT trial_id, name FROM metrics GROUP BY trial_id, name HAVING count(*) = $EPOCHS AND count(DISTINCT epoch) = $EPOCHS AND min(epoch) = 1 AND max(epoch) = $EPOCHS)")" 6
resumed=$(sql s.db "SELECT count(*) FROM (SELECT trial_id FROM metrics GROUP BY trial_id HAVING count(DISTINCT attempt) > 1)")
[ "$resumed" -ge 1 ] || fail "no series kept epochs of an earlier attempt"
check "resumed_from recorded" "$(sql s.db "SELECT count(*) >= 1 FROM trials WHERE resumed_from > 0")" 1
check "series as uninterrupted" "$(sql s.db "ATTACH 'ref.db' AS ref; SELECT count(*) FROM metrics a JOIN ref.metrics b USING (trial_id, epoch, name) WHERE a.value IS b.value")" $((3 * 2 * EPOCHS))
check "final metrics as uninterrupted" "$(sql s.db "ATTACH 'ref.db' AS ref; SELECT count(*) FROM final_metrics a JOIN ref.final_metrics b USING (trial_id, name) WHERE a.name NOT GLOB 'seconds*' AND a.name <> 'samples_per_s' AND a.value IS NOT b.value")" 0
check "final metrics all there" "$(sql s.db "SELECT count(*) FROM final_metrics") " "$(sql ref.db "SELECT count(*) FROM final_metrics") "
check "checkpoints removed" "$(find s.checkpoints -name '*.ckpt' | wc -l)" 0
check "integrity" "$(sql s.db "PRAGMA integrity_check")" ok
finish
