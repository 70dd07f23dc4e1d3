# Fused arrays end to end (cluster.fuse): `runner plan` shows the arrays; a sweep trained in arrays
# records every trial exactly as the same sweep trained alone (same final metrics, same test
# series; the training loss to rounding), with the array each trained in; stopped by SIGTERM
# mid-array or killed, and run again, every trial ends once and still as alone; and so with two
# ranks per trial in data parallel.
source "$(dirname "$0")/lib.sh"

EPOCHS=5
write_sweep fused $EPOCHS 3000 '"train.lr" = [1e-3, 2e-3, 3e-3, 5e-3]' \
  '"model.kind" = ["dense", "sparse_l1", "randomized"]'

"$RUNNER" plan fused.toml --set cluster.fuse=4 > plan.txt
check "plan exit code" "$?" 0
grep -q "cluster.fuse = 4: 2 fused array(s), 4 trials alone" plan.txt || fail "plan: $(tail -n 8 plan.txt)"
check "plan: the randomized AE says why" "$(grep -c "does not fuse: the randomized AE" plan.txt)" 4
"$RUNNER" plan fused.toml | grep -q "fused array" && fail "plan mentions arrays without cluster.fuse"

# Same results as alone: $1 database, $2 reference database.
same_as() {
  local db=$1 ref=$2
  check "$db: every trial once, completed" "$(sql "$db" "SELECT count(*) || '/' || sum(status = 'completed') FROM trials")" "12/12"
  check "$db: final metrics as alone" "$(sql "$db" "ATTACH '$ref' AS ref; SELECT count(*) FROM final_metrics a JOIN ref.final_metrics b USING (trial_id, name) WHERE a.name NOT GLOB 'seconds*' AND a.name <> 'samples_per_s' AND a.value IS NOT b.value")" 0
  check "$db: final metrics all there" "$(sql "$db" "SELECT count(*) FROM final_metrics")" "$(sql "$ref" "SELECT count(*) FROM final_metrics")"
  check "$db: test series as alone" "$(sql "$db" "ATTACH '$ref' AS ref; SELECT count(*) FROM metrics a JOIN ref.metrics b USING (trial_id, epoch, name) WHERE a.name = 'test_recon_mse' AND a.value IS b.value")" "$(sql "$ref" "SELECT count(*) FROM metrics WHERE name = 'test_recon_mse'")"
  check "$db: training loss as alone, to rounding" "$(sql "$db" "ATTACH '$ref' AS ref; SELECT count(*) FROM metrics a JOIN ref.metrics b USING (trial_id, epoch, name) WHERE a.name = 'train_loss' AND abs(a.value - b.value) <= 1e-6 * abs(b.value)")" "$(sql "$ref" "SELECT count(*) FROM metrics WHERE name = 'train_loss'")"
  check "$db: each series has its epochs once" "$(sql "$db" "SELECT count(*) FROM (SELECT trial_id FROM metrics WHERE name = 'train_loss' GROUP BY trial_id HAVING count(*) = count(DISTINCT epoch) AND min(epoch) = 1)")" 12
}

"$RUNNER" run fused.toml --db ref.db > ref.txt 2>&1
check "alone run" "$?" 0

# 1. In arrays of 4, one process.
"$RUNNER" run fused.toml --db f.db --set cluster.fuse=4 > f.txt 2>&1
check "fused run" "$?" 0
same_as f.db ref.db
check "two arrays recorded" "$(sql f.db "SELECT count(DISTINCT array_id) || '/' || count(array_id) FROM trials")" "2/8"
check "arrays are of one kind" "$(sql f.db "SELECT count(DISTINCT json_extract(config, '\$.model.kind')) FROM trials WHERE array_id IS NOT NULL GROUP BY array_id" | sort -u)" 1
check "console names the arrays" "$(grep -c "^array    .* 4 trials fused" f.txt)" 2

# 2. SIGTERM while an array trains, then again to the end: the array resumes together.
"$RUNNER" run fused.toml --db s.db --set cluster.fuse=4 > s1.txt 2>&1 &
pid=$!
wait_for_epochs s.db 2 "$pid" "t.array_id IS NOT NULL"
kill -TERM "$pid"
wait "$pid"
check "exit code after SIGTERM" "$?" 3
check "the array in flight stopped whole" "$(sql s.db "SELECT count(*) FROM trials WHERE status = 'interrupted'")" 4
# One member loses its checkpoint: it starts over, so it cannot join the others, which resume
# together from theirs; it is set aside and trains in a later array.
second=$(sql s.db "SELECT id FROM trials WHERE status = 'interrupted' ORDER BY rowid LIMIT 1 OFFSET 1")
rm s.checkpoints/fused/"$second".ckpt || fail "no checkpoint for $second"
"$RUNNER" run fused.toml --db s.db --set cluster.fuse=4 > s2.txt 2>&1
check "run after SIGTERM" "$?" 0
check "three resumed as one array" "$(grep -c "^resume " s2.txt)" 3
check "the one without a checkpoint waited" "$(grep -c "^later    $second" s2.txt)" 1
check "it trained once after all" "$(sql s.db "SELECT attempts FROM trials WHERE id = '$second'")" 2
same_as s.db ref.db

# 3. SIGKILL while an array trains: nothing finished is lost, and the rerun repeats nothing.
"$RUNNER" run fused.toml --db k.db --set cluster.fuse=4 > k1.txt 2>&1 &
pid=$!
wait_for_epochs k.db 3 "$pid" "t.array_id IS NOT NULL"
kill -KILL "$pid"
wait "$pid" 2>/dev/null
"$RUNNER" run fused.toml --db k.db --set cluster.fuse=4 > k2.txt 2>&1
check "run after SIGKILL" "$?" 0
same_as k.db ref.db

# 4. Two ranks per trial: arrays in data parallel end as the same trials alone in data parallel.
"${MPI[@]}" -np 2 "$RUNNER" run fused.toml --db dp1.db --set cluster.ranks_per_trial=2 > dp1.txt 2>&1
check "data parallel, alone" "$?" 0
"${MPI[@]}" -np 2 "$RUNNER" run fused.toml --db dp4.db --set cluster.ranks_per_trial=2 --set cluster.fuse=4 > dp4.txt 2>&1
check "data parallel, fused" "$?" 0
same_as dp4.db dp1.db
check "data parallel arrays recorded" "$(sql dp4.db "SELECT count(array_id) FROM trials")" 8
check "on both ranks" "$(sql dp4.db "SELECT DISTINCT ranks FROM trials WHERE array_id IS NOT NULL")" "[0,1]"

# 5. Three ranks, arrays of 2: groups train arrays side by side.
"${MPI[@]}" -np 3 "$RUNNER" run fused.toml --db n3.db --set cluster.fuse=2 > n3.txt 2>&1
check "three ranks" "$?" 0
same_as n3.db ref.db
check "arrays of two" "$(sql n3.db "SELECT DISTINCT n FROM (SELECT count(*) AS n FROM trials WHERE array_id IS NOT NULL GROUP BY array_id)")" 2

# 6. Early stopping stops members of an array one by one, while the others go on (rank 0's
# verdicts reach the group root, which asks for each member in turn).
write_sweep pruned 9 1000 '"train.lr" = [3e-3, 2e-3, 1e-3, 5e-4, 3e-4, 2e-4, 1e-4, 5e-5]'
add_asha pruned
"${MPI[@]}" -np 2 "$RUNNER" run pruned.toml --db p.db --set cluster.fuse=4 > p.txt 2>&1
check "early stopping in arrays" "$?" 0
check "every trial once" "$(sql p.db "SELECT count(*) || '/' || sum(status IN ('completed', 'pruned')) FROM trials")" "8/8"
[ "$(sql p.db "SELECT count(*) FROM trials WHERE status = 'pruned' AND array_id IS NOT NULL")" -ge 2 ] ||
  fail "no member of an array was stopped early: $(sql p.db "SELECT id, status, array_id FROM trials")"
check "pruned members stopped at their rung, the rest went on" \
  "$(sql p.db "SELECT count(*) FROM trials t WHERE (SELECT max(epoch) FROM metrics m WHERE m.trial_id = t.id) = CASE t.status WHEN 'pruned' THEN (SELECT max(epoch) FROM metrics m WHERE m.trial_id = t.id AND epoch IN (1, 3)) ELSE 9 END")" 8
finish
