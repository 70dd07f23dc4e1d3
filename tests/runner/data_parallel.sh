# cluster.ranks_per_trial through the CLI: mpirun -np 2 trains each trial on ranks 0 and 1 (rank 0
# trains beside its scheduling); mpirun -np 5 makes two groups of two (ranks 0-1 and 2-3) and
# leaves rank 4 idle, with a warning. The metrics match a one-rank run within float tolerance.
# A layout that cannot work is refused as invalid input.
source "$(dirname "$0")/lib.sh"

write_sweep dp 2 600 '"model.latent" = [4, 8, 16, 32]'
# On the CPU: on a one-GPU machine every group of two would be refused (two ranks, one GPU).
cpu=(--set train.device=cpu)
"$RUNNER" run dp.toml --db one.db "${cpu[@]}" > one.txt 2>&1
check "one process" "$?" 0
# $1 database: its metrics match one.db's within float tolerance.
matches_one_rank() {
  check "$1: same trial ids: ranks_per_trial is not part of a trial" \
    "$(sql "$1" "SELECT group_concat(id) FROM (SELECT id FROM trials ORDER BY id)")" \
    "$(sql one.db "SELECT group_concat(id) FROM (SELECT id FROM trials ORDER BY id)")"
  check "$1: reconstruction metrics within 1e-4 relative" "$(sql one.db "ATTACH '$1' AS d;
    SELECT count(*) FROM final_metrics a JOIN d.final_metrics b USING (trial_id, name)
    WHERE name LIKE 'recon_mse%' AND abs(a.value - b.value) <= 1e-4 * abs(a.value)")" $((4 * 11))
  check "$1: series within tolerance" "$(sql one.db "ATTACH '$1' AS d; SELECT count(*) FROM metrics a
    JOIN d.metrics b USING (trial_id, epoch, name) WHERE abs(a.value - b.value) <= 1e-4 * abs(a.value)")" 16
}

"${MPI[@]}" -np 2 "$RUNNER" run dp.toml --db pair.db "${cpu[@]}" --set cluster.ranks_per_trial=2 > pair.txt 2>&1
check "two ranks, one group of two" "$?" 0
check "rank 0 trains in the group" "$(sql pair.db "SELECT group_concat(DISTINCT ranks) FROM trials")" "[0,1]"
matches_one_rank pair.db

"${MPI[@]}" -np 5 "$RUNNER" run dp.toml --db dp.db "${cpu[@]}" --set cluster.ranks_per_trial=2 > dp.txt 2>&1
check "two groups of two" "$?" 0
check "ranks of each trial" "$(sql dp.db "SELECT group_concat(DISTINCT ranks) FROM (SELECT ranks FROM trials ORDER BY ranks)")" "[0,1],[2,3]"
grep -qF "warning: 1 rank(s) left idle: 5 training ranks do not split into groups of 2" dp.txt || fail "idle warning: $(head -5 dp.txt)"
matches_one_rank dp.db

"${MPI[@]}" -np 3 "$RUNNER" run dp.toml --db sched.db "${cpu[@]}" --set cluster.ranks_per_trial=2 \
  --set cluster.rank0_trains=false > sched.txt 2>&1
check "rank 0 only schedules: exit code" "$?" 0
check "rank 0 only schedules: the group is ranks 1 and 2" "$(sql sched.db "SELECT group_concat(DISTINCT ranks) FROM trials")" "[1,2]"
matches_one_rank sched.db

"${MPI[@]}" -np 2 "$RUNNER" run dp.toml --db bad2.db "${cpu[@]}" --set cluster.ranks_per_trial=2 \
  --set cluster.rank0_trains=false > bad2.txt 2>&1
check "rank 0 only schedules, one rank left: exit code" "$?" 2
grep -qF "need at least 2 training ranks, this job has 1 (rank 0 only schedules)" bad2.txt || fail "message: $(cat bad2.txt)"
[ ! -e bad2.db ] || fail "a refused layout wrote a database"

"$RUNNER" run dp.toml --db bad.db "${cpu[@]}" --set cluster.ranks_per_trial=2 > bad.txt 2>&1
check "too few ranks for a group: exit code" "$?" 2
grep -qF "key 'cluster.ranks_per_trial': 2 ranks per trial need at least 2 training ranks, this job has 1" bad.txt || fail "message: $(cat bad.txt)"
[ ! -e bad.db ] || fail "a refused layout wrote a database"
finish
