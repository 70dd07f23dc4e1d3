# [sweep.search] end to end, on the embedded MNIST:
# 1. a TPE search under mpirun -np 2 killed with SIGKILL mid-sweep, then run again: exactly its
#    budget of trials, each trained once, none proposed twice; one process proposes the same
#    trials each time;
# 2. two runs started together on one database share one search: the budget in all, no
#    configuration twice;
#    a third search starts warm from both;
# 3. two objectives and a constraint: pareto_front holds exactly the feasible non-dominated
#    trials, `runner status` shows them, and Optuna reads the export as a two-objective study.
source "$(dirname "$0")/lib.sh"

write_search() {  # NAME BUDGET EPOCHS SEARCH-LINES...   (STARTUP: random trials first, 3)
  local name=$1 budget=$2 epochs=$3
  shift 3
  cat > "$name.toml" <<TOML
name = "$name"
seed = 3
[data]
dataset = "mnist"
train_limit = 1000
test_limit = 200
[model]
hidden = [32]
latent = 8
[train]
epochs = $epochs
batch_size = 64
[cluster]
threads_per_rank = 1
[sweep.search]
trials = $budget
startup = ${STARTUP:-3}
$(printf '%s\n' "$@")
[sweep.search.space]
"train.lr" = { log_uniform = [1e-4, 3e-2] }
"model.latent" = { int_uniform = [2, 16] }
TOML
}

# Every trial of $1 completed once, all of them proposals, $2 of them, no configuration twice.
expect_budget() {
  local db=$1 n=$2
  check "$db: trials, proposals, configurations" \
    "$(sql "$db" "SELECT count(*) || '/' || (SELECT count(*) FROM proposals) || '/' || count(DISTINCT config_hash) FROM trials")" "$n/$n/$n"
  check "$db: all completed" "$(sql "$db" "SELECT count(*) FROM trials WHERE status = 'completed'")" "$n"
  check "$db: proposal numbers 0..$((n - 1))" \
    "$(sql "$db" "SELECT min(number) || '-' || max(number) || '-' || count(DISTINCT number) FROM proposals")" "0-$((n - 1))-$n"
  check "$db: final metrics once" "$(sql "$db" "SELECT count(*) FROM final_metrics WHERE name = 'recon_mse'")" "$n"
  check "$db: integrity" "$(sql "$db" "PRAGMA integrity_check")" ok
}

# 1. Killed, then run again.
write_search killed 10 6 'objectives = [{ metric = "recon_mse" }]'
setsid "${MPI[@]}" -np 2 "$RUNNER" run killed.toml --db k.db > run1.txt 2>&1 &
job=$!
deadline=$((SECONDS + 300))
until [ "$(sql k.db "SELECT count(*) FROM trials WHERE status = 'completed'" 2>/dev/null || echo 0)" -ge 4 ]; do
  if ! kill -0 "$job" 2>/dev/null || [ $SECONDS -gt $deadline ]; then
    fail "the job ended before it could be killed: $(tail -n 5 run1.txt)"
    break
  fi
  sleep 0.1
done
kill_job "$job"
before=$(sql k.db "SELECT count(*) FROM proposals")
[ "$before" -lt 10 ] || fail "the search had ended before the kill"
"${MPI[@]}" -np 2 "$RUNNER" run killed.toml --db k.db > run2.txt 2>&1
check "rerun exit code" "$?" 0
grep -q "more to propose (tpe over 1 part(s) of 10)" run2.txt || fail "rerun plan: $(head -n 1 run2.txt)"
expect_budget k.db 10
check "learnt after startup" "$(sql k.db "SELECT group_concat(sampler) FROM (SELECT sampler FROM proposals ORDER BY number LIMIT 3)")" "random,random,random"
[ "$(sql k.db "SELECT count(*) FROM proposals WHERE sampler = 'tpe'")" -ge 1 ] || fail "no TPE proposal"
"$RUNNER" run killed.toml --db k.db > run3.txt 2>&1
check "third run exit code" "$?" 0
grep -q "10 trials, 10 already done, 0 to run, 0 more to propose" run3.txt || fail "third run: $(head -n 1 run3.txt)"
check "third run proposes nothing" "$(sql k.db "SELECT count(*) FROM proposals")" 10

# One process, the same search twice on fresh databases: the same proposals.
STARTUP=2 write_search again 5 1 'objectives = [{ metric = "recon_mse" }]'
"$RUNNER" run again.toml --db again1.db > /dev/null 2>&1
"$RUNNER" run again.toml --db again2.db > /dev/null 2>&1
check "reproducible proposals" "$(sql again1.db "SELECT group_concat(point, ' ') FROM (SELECT point FROM proposals ORDER BY number)")" \
  "$(sql again2.db "SELECT group_concat(point, ' ') FROM (SELECT point FROM proposals ORDER BY number)")"
check "... and TPE among them" "$(sql again1.db "SELECT count(*) FROM proposals WHERE sampler = 'tpe'")" 3

# 2. Two runs at once on one search.
write_search shared 8 2 'objectives = [{ metric = "recon_mse" }]'
"$RUNNER" run shared.toml --db s.db > a.txt 2>&1 &
a=$!
"$RUNNER" run shared.toml --db s.db > b.txt 2>&1 &
b=$!
wait $a
check "run a exit code" "$?" 0
wait $b
check "run b exit code" "$?" 0
expect_budget s.db 8
check "both runs proposed" "$(sql s.db "SELECT count(DISTINCT run_id) FROM trials")" 2

# Warm start: the shared search's trials (this database) and the killed one's (another file) seed
# a new search, whose very first proposal is TPE's.
write_search warm 3 1 'objectives = [{ metric = "recon_mse" }]' 'warm_start = ["shared", "k.db:killed"]'
"$RUNNER" run warm.toml --db s.db > warm.txt 2>&1
check "warm run exit code" "$?" 0
grep -q "warm start from shared: 8 of its 8 finished trial(s) lie in the space" warm.txt || fail "warm: $(cat warm.txt)"
grep -q "warm start from k.db:killed: 10 of its 10 finished" warm.txt || fail "warm from a file: $(cat warm.txt)"
check "warm: TPE from the first proposal" "$(sql s.db "SELECT group_concat(sampler) FROM proposals WHERE sweep = 'warm'")" "tpe,tpe,tpe"
check "warm: its own budget" "$(sql s.db "SELECT count(*) FROM trials WHERE sweep = 'warm'")" 3

# 3. Two objectives and a constraint.
write_search front 8 2 'objectives = [{ metric = "recon_mse" }, { metric = "probe_accuracy", mode = "max" }]' \
  'constraints = ["recon_mse <= 0.2"]'
"$RUNNER" run front.toml --db f.db > f.txt 2>&1
check "front run exit code" "$?" 0
value() { echo "(SELECT value FROM final_metrics WHERE trial_id = $1.id AND name = '$2')"; }
nondominated="SELECT t.id FROM trials t WHERE t.status = 'completed' AND $(value t recon_mse) <= 0.2 AND NOT EXISTS (SELECT 1 FROM trials u WHERE u.status = 'completed' AND $(value u recon_mse) <= 0.2 AND $(value u recon_mse) <= $(value t recon_mse) AND $(value u probe_accuracy) >= $(value t probe_accuracy) AND ($(value u recon_mse) < $(value t recon_mse) OR $(value u probe_accuracy) > $(value t probe_accuracy))) ORDER BY t.id"
check "pareto_front is the feasible non-dominated set" \
  "$(sql f.db "SELECT group_concat(trial_id) FROM (SELECT trial_id FROM pareto_front ORDER BY trial_id)")" \
  "$(sql f.db "SELECT group_concat(id) FROM ($nondominated)")"
[ "$(sql f.db "SELECT count(*) FROM pareto_front")" -ge 1 ] || fail "empty front"
"$RUNNER" status --db f.db > status.txt
grep -q "search tpe: 8/8 proposed (1 part(s) of 8); objectives recon_mse (min) probe_accuracy (max); constraints recon_mse <= 0.2" status.txt ||
  fail "status: $(cat status.txt)"
for id in $(sql f.db "SELECT trial_id FROM pareto_front"); do
  grep -q "^    $id  recon_mse=" status.txt || fail "status lacks front trial $id"
done
if /usr/bin/python3 -c 'import optuna' 2>/dev/null; then
  "$RUNNER" export --db f.db --sweep front --optuna-journal f.journal > export.txt
  check "export exit code" "$?" 0
  /usr/bin/python3 - f.journal > optuna.txt <<'PY'
import sys, optuna
optuna.logging.set_verbosity(optuna.logging.ERROR)
s = optuna.load_study(study_name="front", storage=optuna.storages.JournalStorage(
    optuna.storages.JournalFileStorage(sys.argv[1])))
print(" ".join(d.name for d in s.directions), len(s.trials), len(s.best_trials))
PY
  # Optuna's best_trials ignore the constraint: at least the feasible front.
  read -r d1 d2 n best < optuna.txt
  check "Optuna reads two directions" "$d1 $d2 $n" "MINIMIZE MAXIMIZE 8"
  [ "$best" -ge "$(sql f.db "SELECT count(*) FROM pareto_front")" ] || fail "Optuna's front: $(cat optuna.txt)"
fi
finish
