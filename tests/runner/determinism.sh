# The same trials give the same metrics whether run in one process or spread over mpirun ranks
# (one rank per trial, one thread each): only timings may differ.
source "$(dirname "$0")/lib.sh"

write_sweep det 2 500 '"model.latent" = [4, 8, 16]'
"$RUNNER" run det.toml --db alone.db > alone.txt 2>&1
check "single process" "$?" 0
"${MPI[@]}" -np 3 "$RUNNER" run det.toml --db mpi.db > mpi.txt 2>&1
check "mpirun -np 3" "$?" 0
check "same trial ids" "$(sql mpi.db "SELECT group_concat(id) FROM (SELECT id FROM trials ORDER BY id)")" \
  "$(sql alone.db "SELECT group_concat(id) FROM (SELECT id FROM trials ORDER BY id)")"
compared=$(sql alone.db "ATTACH 'mpi.db' AS m; SELECT count(*) FROM final_metrics a JOIN m.final_metrics b USING (trial_id, name) WHERE name NOT GLOB 'seconds*' AND name <> 'samples_per_s'")
check "metrics compared" "$compared" $((3 * 12))
check "final metrics identical" "$(sql alone.db "ATTACH 'mpi.db' AS m; SELECT count(*) FROM final_metrics a JOIN m.final_metrics b USING (trial_id, name) WHERE name NOT GLOB 'seconds*' AND name <> 'samples_per_s' AND a.value IS NOT b.value")" 0
check "series identical" "$(sql alone.db "ATTACH 'mpi.db' AS m; SELECT count(*) FROM metrics a LEFT JOIN m.metrics b USING (trial_id, epoch, name) WHERE a.value IS NOT b.value")" 0
finish
