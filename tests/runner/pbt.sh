# Population-based training ([sweep.search] sampler = "pbt") end to end, on the embedded MNIST:
# 1. a population of 4 VAEs fused into one array under mpirun -np 2: every decision recorded once,
#    with the state it took when it took one; stopped by SIGUSR1 and run again, the same
#    decisions, series and final metrics as a run never stopped; killed by SIGKILL and run again,
#    the decisions taken before the kill stand and the population ends; one member per rank,
#    states taken through checkpoints; two runs at once on one database, one population;
# 2. runner export --replay writes the best member's schedule as a sweep of one trial, which
#    trains again: the epochs of its lineage's first member bit for bit.
source "$(dirname "$0")/lib.sh"

cat > pbt.toml <<TOML
name = "pbt"
seed = 5
[data]
dataset = "mnist"
train_limit = 1000
test_limit = 200
[model]
kind = "vae"
hidden = [32]
latent = 8
[train]
epochs = 6
batch_size = 50
[cluster]
threads_per_rank = 1
fuse_fits_cache = false
fuse = 4
[sweep.search]
sampler = "pbt"
population = 4
interval = 1
quantile = 0.5
objectives = [{ metric = "test_recon_mse" }]
[sweep.search.space]
"train.lr" = { log_uniform = [3e-4, 1e-2] }
"loss.beta" = { uniform = [0.2, 2.0] }
TOML

# What must be the same in two runs of one population.
decisions() { sql "$1" "SELECT trial_id, epoch, printf('%!.17g', value), source, source_epoch, keys_after FROM pbt_decisions ORDER BY trial_id, epoch"; }
series() { sql "$1" "SELECT trial_id, epoch, name, printf('%!.17g', value) FROM metrics ORDER BY 1, 2, 3"; }
finals() { sql "$1" "SELECT trial_id, name, printf('%!.17g', value) FROM final_metrics WHERE name NOT GLOB 'seconds*' AND name <> 'samples_per_s' ORDER BY 1, 2"; }

# 1. Never stopped.
"${MPI[@]}" -np 2 "$RUNNER" run pbt.toml --db ref.db > ref.txt 2>&1
check "reference exit code" "$?" 0
check "one array of the population" "$(grep -c '^array .* 4 trials fused' ref.txt)" 1
check "decisions: 4 members x 5 epochs" "$(sql ref.db "SELECT count(*) FROM pbt_decisions")" 20
check "every exploit holds the state it took, only those" \
  "$(sql ref.db "SELECT count(*) FROM pbt_decisions WHERE (source IS NULL) <> (state IS NULL)")" 0
[ "$(sql ref.db "SELECT count(*) FROM pbt_decisions WHERE source IS NOT NULL")" -ge 1 ] || fail "no member took another's state"
grep -q "(epoch [0-9]*, in its array)" ref.txt || fail "no exploit in memory: $(grep '^pbt' ref.txt | head -n 3)"
check "the keys as series" "$(sql ref.db "SELECT count(*) FROM metrics WHERE name IN ('train.lr', 'loss.beta')")" 48
check "a changed key is the series of the next epoch" \
  "$(sql ref.db "SELECT count(*) FROM pbt_decisions d JOIN metrics m ON m.trial_id = d.trial_id AND m.epoch = d.epoch + 1 AND m.name = 'train.lr' WHERE d.source IS NOT NULL AND m.value <> json_extract(d.keys_after, '$.\"train.lr\"')")" 0

# Until database $1 holds $2 decisions, while run $3 goes on.
wait_for_decisions() {
  local deadline=$((SECONDS + 300))
  until [ "$(sql "$1" "SELECT count(*) FROM pbt_decisions" 2>/dev/null || echo 0)" -ge "$2" ]; do
    if ! kill -0 "$3" 2>/dev/null || [ $SECONDS -gt $deadline ]; then
      fail "the run ended before $2 decisions"
      return
    fi
    sleep 0.05
  done
}

# Stopped by SIGUSR1 (every member stops at one step, inside an epoch, with a checkpoint), then
# run again: exactly the run never stopped.
"${MPI[@]}" -np 2 "$RUNNER" run pbt.toml --db u.db > u1.txt 2>&1 &
pid=$!
wait_for_decisions u.db 6 "$pid"
kill -USR1 "$pid"
wait "$pid"
check "exit code after SIGUSR1" "$?" 3
"${MPI[@]}" -np 2 "$RUNNER" run pbt.toml --db u.db > u2.txt 2>&1
check "run after SIGUSR1: exit code" "$?" 0
grep -q "^resume " u2.txt || fail "nothing resumed: $(head -n 3 u2.txt)"
check "stopped, then: the same decisions" "$(decisions u.db | md5sum)" "$(decisions ref.db | md5sum)"
check "... the same series" "$(series u.db | md5sum)" "$(series ref.db | md5sum)"
check "... the same final metrics" "$(finals u.db | md5sum)" "$(finals ref.db | md5sum)"

# Killed with SIGKILL at any moment: no decision recorded is lost or taken again differently, and
# the population ends with every decision once.
setsid "${MPI[@]}" -np 2 "$RUNNER" run pbt.toml --db k.db > k1.txt 2>&1 &
job=$!
wait_for_decisions k.db 6 "$job"
kill_job "$job"
decisions k.db > at_kill.txt
[ "$(wc -l < at_kill.txt)" -lt 20 ] || fail "the population had ended before the kill"
"${MPI[@]}" -np 2 "$RUNNER" run pbt.toml --db k.db > k2.txt 2>&1
check "rerun after SIGKILL: exit code" "$?" 0
check "rerun: all completed" "$(sql k.db "SELECT count(*) FROM trials WHERE status = 'completed'")" 4
check "rerun: every decision once" "$(sql k.db "SELECT count(*) FROM pbt_decisions")" 20
check "the decisions taken before the kill stand" "$(decisions k.db | grep -cxFf at_kill.txt)" "$(wc -l < at_kill.txt)"
check "rerun: each member's series whole" \
  "$(sql k.db "SELECT count(*) FROM (SELECT trial_id FROM metrics WHERE name = 'test_recon_mse' GROUP BY trial_id HAVING count(*) = 6)")" 4

# One member per rank: members take each other's states through their checkpoints.
"${MPI[@]}" -np 2 "$RUNNER" run pbt.toml --db ranks.db --set cluster.fuse=1 > ranks.txt 2>&1
check "one member per rank: exit code" "$?" 0
check "one member per rank: every decision once" "$(sql ranks.db "SELECT count(*) FROM pbt_decisions")" 20
if grep -q "^pbt .* takes" ranks.txt; then
  grep -q "^pbt .* takes .*from its checkpoint" ranks.txt || fail "an exploit across ranks without a checkpoint"
  grep -q "in its array" ranks.txt && fail "an exploit in memory without an array"
fi

# Two runs started together on one database share one population: its budget in all, each
# decision once, states taken across runs through the checkpoint files beside the database.
"$RUNNER" run pbt.toml --db two.db --set cluster.fuse=2 > two_a.txt 2>&1 &
a=$!
"$RUNNER" run pbt.toml --db two.db --set cluster.fuse=2 > two_b.txt 2>&1
check "two runs: b exit code" "$?" 0
wait $a
check "two runs: a exit code" "$?" 0
check "two runs: one population of 4, completed" "$(sql two.db "SELECT count(*) || '/' || sum(status = 'completed') FROM trials")" "4/4"
check "two runs: both trained members" "$(sql two.db "SELECT count(DISTINCT run_id) FROM trials")" 2
check "two runs: every decision once" "$(sql two.db "SELECT count(*) FROM pbt_decisions")" 20

# 2. The best member's schedule, replayed.
"$RUNNER" export --db ref.db --sweep pbt --replay replay.toml > export.txt 2>&1
check "export exit code" "$?" 0
best=$(sql ref.db "SELECT t.id FROM trials t JOIN metrics m ON m.trial_id = t.id AND m.name = 'test_recon_mse' AND m.epoch = 6 ORDER BY m.value LIMIT 1")
grep -q "member $best, 6 epochs; lineage" export.txt || fail "export: $(cat export.txt)"
read -r root first < <(sed -n 's/.*; lineage \([0-9a-f]*\) 1-\([0-9]*\).*/\1 \2/p' export.txt)
"$RUNNER" run replay.toml --db replay.db --set cluster.threads_per_rank=1 > replay.txt 2>&1  # as the members
check "replay exit code" "$?" 0
check "the replay follows its lineage's first member ($root) for its epochs 1-$first, bit for bit" \
  "$(sql replay.db "SELECT group_concat(printf('%!.17g', value)) FROM (SELECT value FROM metrics WHERE name = 'test_recon_mse' AND epoch <= $first ORDER BY epoch)")" \
  "$(sql ref.db "SELECT group_concat(printf('%!.17g', value)) FROM (SELECT value FROM metrics WHERE trial_id = '$root' AND name = 'test_recon_mse' AND epoch <= $first ORDER BY epoch)")"
check "the replay's schedule is the lineage's" \
  "$(grep -c '^train.lr_schedule = "1:' replay.toml)/$(grep -c '^loss.beta_schedule = "1:' replay.toml)" "1/1"

finish
