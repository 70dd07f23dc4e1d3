# `runner export --optuna-journal`: Debian's python3-optuna (3.1) loads the journal, and its
# trials, states, parameters, intermediate values and best value match the database; Optuna's
# TPE sampler goes on from it; bad input exits 2 and writes nothing.
source "$(dirname "$0")/../runner/lib.sh"
PYTHON=/usr/bin/python3  # Debian's interpreter, the one python3-optuna is installed for
if ! "$PYTHON" -c "import optuna" 2>/dev/null; then
  echo "SKIP: python3-optuna is not installed (scripts/setup.sh installs it)"
  exit 77
fi

# Completed, pruned (ASHA) and failed (a learning rate that diverges) trials.
write_sweep opt 9 500 '"train.lr" = [1e-5, 1e-4, 1e-3, 3e-3, 1e-2, 1e30]' '"model.activation" = ["relu", "tanh"]'
add_asha opt
"$RUNNER" run opt.toml --db o.db > run.txt 2>&1
check "run exit (failed trials)" $? 1
"$RUNNER" export --db o.db --sweep opt --optuna-journal opt.journal > export.txt
check "export exit" $? 0
grep -q "parameters: model.activation train.lr" export.txt || fail "export summary: $(cat export.txt)"

sql o.db "SELECT id, status, coalesce((SELECT value FROM final_metrics WHERE trial_id = t.id AND name = 'recon_mse'), ''),
  json_extract(config, '$.train.lr'), json_extract(config, '$.model.activation'),
  (SELECT group_concat(epoch || ':' || value, ' ') FROM (SELECT epoch, value FROM metrics WHERE trial_id = t.id AND name = 'test_recon_mse' ORDER BY epoch))
  FROM trials t" > expected.txt
"$PYTHON" - > python.txt 2>&1 <<'PY'
import math, shutil, warnings
import optuna
warnings.simplefilter("ignore")
optuna.logging.set_verbosity(optuna.logging.ERROR)
storage = optuna.storages.JournalStorage(optuna.storages.JournalFileStorage("opt.journal"))
study = optuna.load_study(study_name="opt", storage=storage)
states = {"completed": "COMPLETE", "pruned": "PRUNED", "failed": "FAIL"}
expected = {}
for line in open("expected.txt"):
    tid, status, value, lr, act, series = line.rstrip("\n").split("|")
    expected[tid] = (states[status], value, float(lr), act, series)
assert len(study.trials) == len(expected), (len(study.trials), len(expected))
for t in study.trials:
    state, value, lr, act, series = expected[t.user_attrs["runner_trial_id"]]
    assert t.state.name == state, (t.number, t.state, state)
    assert t.params == {"train.lr": lr, "model.activation": act}, t.params
    if state == "COMPLETE":
        assert math.isclose(t.value, float(value), rel_tol=1e-12), (t.value, value)
    want = {int(p.split(":")[0]): float(p.split(":")[1]) for p in series.split()}
    assert sorted(t.intermediate_values) == sorted(want), (t.intermediate_values, want)
    for epoch, v in want.items():  # the sqlite3 shell prints 15 digits
        assert math.isclose(t.intermediate_values[epoch], v, rel_tol=1e-12), (epoch, v)
    assert t.user_attrs["config"]["train"]["lr"] == lr
    if state == "FAIL":
        assert "loss is" in t.user_attrs["error"], t.user_attrs
best = min(float(v[1]) for v in expected.values() if v[0] == "COMPLETE")
assert math.isclose(study.best_value, best, rel_tol=1e-12), (study.best_value, best)
assert study.direction == optuna.study.StudyDirection.MINIMIZE
# Optuna goes on from the export: TPE proposes a trial within the distributions.
shutil.copy("opt.journal", "more.journal")
more = optuna.load_study(study_name="opt", storage=optuna.storages.JournalStorage(
    optuna.storages.JournalFileStorage("more.journal")), sampler=optuna.samplers.TPESampler(seed=0))
trial = more.ask()
lr = trial.suggest_float("train.lr", 1e-5, 1e30, log=True)
act = trial.suggest_categorical("model.activation", ["relu", "tanh"])
more.tell(trial, 0.5)
print("ok", len(study.trials), study.best_value)
PY
check "optuna reads the journal as the database says" "$?" 0
grep -q "^ok 12 " python.txt || fail "python check: $(cat python.txt)"

"$RUNNER" export --db o.db --sweep opt --optuna-journal max.journal --objective probe_accuracy --direction maximize > max.txt
check "maximize exit" $? 0
"$PYTHON" -c "
import optuna, warnings; warnings.simplefilter('ignore')
s = optuna.load_study(study_name='opt', storage=optuna.storages.JournalStorage(optuna.storages.JournalFileStorage('max.journal')))
print(s.direction.name, round(s.best_value, 6))" > max-py.txt 2>&1
check "maximize: direction and best" "$(cat max-py.txt)" "MAXIMIZE $(sql o.db "SELECT round(max(value), 6) FROM final_metrics f JOIN trials t ON t.id = f.trial_id WHERE t.status = 'completed' AND f.name = 'probe_accuracy'")"

# Bad input: exit 2, the reason, nothing written.
for args in "--sweep nope" "--sweep opt --objective nope" "--sweep opt --direction up" "--sweep opt --objective"; do
  "$RUNNER" export --db o.db $args --optuna-journal bad.journal > bad.txt 2>&1
  check "export $args: exit" $? 2
  [ -e bad.journal ] && fail "export $args wrote a file"
done
"$RUNNER" export --db o.db --sweep nope --optuna-journal bad.journal > bad.txt 2>&1
grep -q "o.db: key '--sweep': no sweep 'nope' in this database; its sweeps: opt" bad.txt || fail "names the sweeps: $(cat bad.txt)"
"$RUNNER" export --db o.db --sweep opt --objective nope --optuna-journal bad.journal > bad.txt 2>&1
grep -q "o.db: key '--objective': .*its final metrics: .*recon_mse" bad.txt || fail "names the metrics: $(cat bad.txt)"
finish
