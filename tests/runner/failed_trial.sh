# A trial that diverges is recorded as failed with its message and rank; the sweep goes on, and
# the exit code says that not every trial completed. --retry-failed runs it again.
source "$(dirname "$0")/lib.sh"

write_sweep diverge 2 300 '"train.lr" = [1e-3, 1e30]'
"${MPI[@]}" -np 3 "$RUNNER" run diverge.toml --db d.db > run1.txt 2>&1
check "exit code with a failed trial" "$?" 1
check "statuses" "$(sql d.db "SELECT group_concat(status) FROM (SELECT status FROM trials ORDER BY status)")" "completed,failed"
error=$(sql d.db "SELECT error FROM trials WHERE status = 'failed'")
[[ "$error" == *"loss is"*"at epoch 1"*"[rank "[012]" on "* ]] || fail "error message: $error"
check "no final metrics for the failed trial" "$(sql d.db "SELECT count(*) FROM final_metrics f JOIN trials t ON t.id = f.trial_id WHERE t.status = 'failed'")" 0
grep -q "FAILED" run1.txt || fail "console does not report the failure"

"$RUNNER" run diverge.toml --db d.db > run2.txt 2>&1
rc=$?
check "rerun leaves failed trials alone" "$(head -n 1 run2.txt | grep -o '[0-9]* to run')" "0 to run"
check "rerun exit code: the sweep still has a failed trial" "$rc" 1
"$RUNNER" run diverge.toml --db d.db --retry-failed > run3.txt 2>&1
rc=$?
check "retry exit code" "$rc" 1
check "retried once" "$(sql d.db "SELECT attempts FROM trials WHERE status = 'failed'")" 2
finish
