# A rank that hangs (stopped with SIGSTOP: alive, silent) for longer than cluster.heartbeat_s: its
# trial is marked stale and handed to another rank, which finishes it; the other trials finish
# too, and the job exits 1 with a message naming the silent rank and its host.
source "$(dirname "$0")/lib.sh"

write_sweep silent 30 2000 '"model.latent" = [4, 8, 12, 16]'
"${MPI[@]}" -np 3 "$RUNNER" run silent.toml --db s.db --set cluster.heartbeat_s=2 > run.txt 2>&1 &
launcher=$!
rank_pid() {  # the process of world rank $1
  local p
  for p in $(pgrep -f "run silent.toml"); do
    tr '\0' '\n' < "/proc/$p/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$1" && echo "$p"
  done
}
# Once rank 2's trial has reported two epochs (and so has a checkpoint), stop rank 2.
trial=
for _ in $(seq 600); do
  trial=${trial:-$(sed -n 's/^start    \([0-9a-f]*\) on rank 2 .*/\1/p' run.txt | head -n 1)}
  [ -n "$trial" ] && grep -q "^epoch    $trial 2/30" run.txt && break
  sleep 0.05
done
victim=$(rank_pid 2)
[ -n "$victim" ] && [ -n "$trial" ] || fail "no trial on rank 2 (pid '$victim')"
kill -STOP "$victim"
wait "$launcher"
check "exit code" "$?" 1
grep -q "^STALE    $trial  rank 2 on $(hostname) silent for" run.txt || fail "no stale line for $trial: $(grep -v '^epoch' run.txt | head -20)"
grep -q "error: rank 2 on $(hostname) went silent" run.txt || fail "no error naming rank 2: $(tail -5 run.txt)"
grep -q "^resume   $trial on rank [01] .* from epoch [1-9]" run.txt || fail "not resumed from its checkpoint: $(grep "$trial" run.txt | grep -v '^epoch')"
check "every trial completed" "$(sql s.db "SELECT count(*) FROM trials WHERE status = 'completed'")" 4
check "the stale trial went elsewhere" "$(sql s.db "SELECT attempts, ranks != '[2]' FROM trials WHERE id = '$trial'")" "2|1"
check "its series has no gaps" "$(sql s.db "SELECT count(DISTINCT epoch) FROM metrics WHERE trial_id = '$trial'")" 30
kill -KILL "$victim" 2>/dev/null
finish
