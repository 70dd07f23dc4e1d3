# A sweep under mpirun -np 3: every trial completes once, with its series and final metrics;
# a rerun trains nothing and adds nothing.
source "$(dirname "$0")/lib.sh"

write_sweep grid 2 400 '"model.latent" = [4, 8, 16]' '"train.lr" = [1e-3, 3e-3]'
"$RUNNER" plan grid.toml > plan.txt
check "plan" "$(tail -n 1 plan.txt)" "6 trials"

"${MPI[@]}" -np 3 "$RUNNER" run grid.toml --db r.db > run1.txt 2>&1
check "run exit code" "$?" 0
check "trials" "$(sql r.db "SELECT count(*) FROM trials WHERE sweep = 'grid' AND status = 'completed'")" 6
check "ids match the plan" "$(sql r.db "SELECT id FROM trials ORDER BY id")" "$(cut -d' ' -f1 plan.txt | head -n 6 | sort)"
check "trained by every rank, rank 0 too" "$(sql r.db "SELECT group_concat(DISTINCT ranks) FROM (SELECT ranks FROM trials ORDER BY ranks)")" "[0],[1],[2]"
check "one attempt each" "$(sql r.db "SELECT count(*) FROM trials WHERE attempts = 1")" 6
check "two epochs x two series each" "$(sql r.db "SELECT count(*) FROM metrics")" 24
check "epochs 1..2" "$(sql r.db "SELECT group_concat(DISTINCT epoch) FROM metrics")" "1,2"
for m in recon_mse probe_accuracy samples_per_s seconds recon_mse_class_0 recon_mse_class_9; do
  check "final $m" "$(sql r.db "SELECT count(*) FROM final_metrics WHERE name = '$m' AND value > 0")" 6
done
check "latent from config JSON" "$(sql r.db "SELECT group_concat(DISTINCT json_extract(config, '\$.model.latent')) FROM (SELECT config FROM trials ORDER BY json_extract(config, '\$.model.latent'))")" "4,8,16"
check "a picture per trial" "$(sql r.db "SELECT count(*) FROM artifacts WHERE kind = 'reconstructions'")" 6
check "every picture a PNG in the database" "$(sql r.db "SELECT count(*) FROM artifacts WHERE substr(png, 2, 3) = CAST('PNG' AS BLOB)")" "$(sql r.db "SELECT count(*) FROM artifacts")"
[ ! -e r.artifacts ] || fail "pictures written beside the database"
grep -q "6 trials: 6 completed" run1.txt || fail "summary table: $(tail -n 3 run1.txt)"

before=$(sql r.db "SELECT (SELECT count(*) FROM trials) || '/' || (SELECT count(*) FROM metrics) || '/' || (SELECT count(*) FROM final_metrics) || '/' || (SELECT group_concat(ended_at) FROM trials)")
"${MPI[@]}" -np 2 "$RUNNER" run grid.toml --db r.db > run2.txt 2>&1
check "rerun exit code" "$?" 0
grep -q "6 already done, 0 to run" run2.txt || fail "rerun trained: $(head -n 3 run2.txt)"
after=$(sql r.db "SELECT (SELECT count(*) FROM trials) || '/' || (SELECT count(*) FROM metrics) || '/' || (SELECT count(*) FROM final_metrics) || '/' || (SELECT group_concat(ended_at) FROM trials)")
check "rerun changed nothing" "$after" "$before"

"$RUNNER" query --db r.db "SELECT json_extract(config, '\$.model.latent') AS latent, count(*) AS n FROM trials GROUP BY latent ORDER BY latent" > q.csv
check "query CSV" "$(cat q.csv | tr '\n' ' ')" "latent,n 4,2 8,2 16,2 "
check "integrity" "$(sql r.db "PRAGMA integrity_check")" ok
finish
