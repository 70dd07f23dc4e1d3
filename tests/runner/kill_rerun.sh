# The whole job killed with SIGKILL mid-sweep, then rerun: every trial completed exactly once,
# no duplicate epochs, and the database intact.
source "$(dirname "$0")/lib.sh"

EPOCHS=8
write_sweep killed $EPOCHS 2000 '"model.latent" = [4, 8, 12, 16]' '"train.lr" = [1e-3, 2e-3]'

setsid "${MPI[@]}" -np 3 "$RUNNER" run killed.toml --db k.db > run1.txt 2>&1 &
job=$!
deadline=$((SECONDS + 300))
while true; do
  done_count=$(sql k.db "SELECT count(*) FROM trials WHERE status = 'completed'" 2>/dev/null || echo 0)
  [ "${done_count:-0}" -ge 2 ] && break
  if ! kill -0 "$job" 2>/dev/null || [ $SECONDS -gt $deadline ]; then
    fail "the job ended before it could be killed: $(tail -n 5 run1.txt)"
    finish
    exit 1
  fi
  sleep 0.2
done
kill_job "$job"
running=$(sql k.db "SELECT count(*) FROM trials WHERE status = 'running'")
completed_before=$(sql k.db "SELECT count(*) FROM trials WHERE status = 'completed'")
[ "$running" -ge 1 ] || fail "no trial was in flight when the job was killed"
[ "$completed_before" -lt 8 ] || fail "the sweep finished before the kill"
check "integrity after kill" "$(sql k.db "PRAGMA integrity_check")" ok
finished_ids=$(sql k.db "SELECT id || ended_at FROM trials WHERE status = 'completed' ORDER BY id")

"${MPI[@]}" -np 3 "$RUNNER" run killed.toml --db k.db > run2.txt 2>&1
check "rerun exit code" "$?" 0
grep -q "8 trials, $completed_before already done, $((8 - completed_before)) to run" run2.txt ||
  fail "rerun plan: $(head -n 1 run2.txt)"
check "every trial once" "$(sql k.db "SELECT count(*) || '/' || count(DISTINCT id) || '/' || sum(status = 'completed') FROM trials")" "8/8/8"
check "finished trials untouched" "$(sql k.db "SELECT id || ended_at FROM trials WHERE id IN (SELECT id FROM trials WHERE attempts = 1) AND instr('$finished_ids', id) ORDER BY id")" "$finished_ids"
check "interrupted trials ran again" "$(sql k.db "SELECT count(*) FROM trials WHERE attempts = 2")" "$running"
check "each series has epochs 1..$EPOCHS once" \
  "$(sql k.db "SELECT count(*) FROM (SELECT trial_id, name FROM metrics GROUP BY trial_id, name HAVING count(*) = $EPOCHS AND count(DISTINCT epoch) = $EPOCHS AND min(epoch) = 1 AND max(epoch) = $EPOCHS)")" 16
check "no stray series" "$(sql k.db "SELECT count(*) FROM metrics")" $((8 * 2 * EPOCHS))
check "final metrics once" "$(sql k.db "SELECT count(*) FROM final_metrics WHERE name = 'recon_mse'")" 8
check "integrity" "$(sql k.db "PRAGMA integrity_check")" ok
finish
