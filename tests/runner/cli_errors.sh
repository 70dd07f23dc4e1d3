# Invalid input: exit code 2, a message naming file, line and key, and nothing written.
source "$(dirname "$0")/lib.sh"

good='name = "ok"
[data]
dataset = "mnist"
[sweep.grid]
"model.latent" = [4, 8]'

# The inputs the rows below use.
printf 'name = "x"\n[model]\nlatent = = 4\n' > syntax.toml
printf 'name = "x"\n[model]\nlatnet = 4\n' > unknown.toml
printf 'name = "x"\n[cluster]\nfuse = 0\n' > fuse.toml
printf 'name = "x"\n[train]\nepochs = "ten"\n' > type.toml
printf 'name = "x"\n\n[train]\nlr = -0.1\n' > range.toml
printf 'name = "x"\n[sweep.grid]\n"model.latent" = []\n' > empty.toml
printf 'name = "x"\n[sweep.grid]\n"model.hiden" = [[8]]\n' > path.toml
printf 'name = "../../etc/x"\n' > unsafe.toml
printf 'name = "x"\n[data]\ndataset = "no-such-dir"\n' > dataset.toml
printf 'name = "x"\nmax_trials = 3\n[sweep.grid]\n"model.latent" = [1, 2]\n"train.lr" = [0.1, 0.01]\n' > many.toml
echo "$good" > good.toml
printf 'name = "x"\n[sweep.early_stop]\nkind = "hyperband"\n' > stopkind.toml
printf 'name = "x"\n[sweep.early_stop]\nkind = "asha"\nreduction = 1\n' > stopeta.toml
printf 'name = "x"\n[sweep.early_stop]\nmetric = "recon_mse"\n' > stopmetric.toml
printf 'name = "x"\n[sweep.early_stop]\ngrace_epoch = 2\n' > stopkey.toml
search() {  # FILE LINES...: a search sweep whose [sweep.search] table holds LINES
  local f=$1
  shift
  printf 'name = "x"\n[sweep.search]\n' > "$f"
  printf '%s\n' "$@" >> "$f"
}
space='[sweep.search.space]
"train.lr" = { log_uniform = [1e-4, 1e-2] }'
objective='objectives = [{ metric = "recon_mse", mode = "min" }]'
search s_metric.toml 'trials = 4' 'objectives = [{ metric = "recon_mes" }]' "$space"
search s_space.toml 'trials = 4' "$objective" '[sweep.search.space]'
search s_nospace.toml 'trials = 4' "$objective"
search s_budget.toml 'trials = 0' "$objective" "$space"
search s_nobudget.toml "$objective" "$space"
search s_constraint.toml 'trials = 4' "$objective" 'constraints = ["active_bitz <= 50"]' "$space"
search s_constraint_form.toml 'trials = 4' "$objective" 'constraints = ["active_bits = 50"]' "$space"
search s_sampler.toml 'trials = 4' 'sampler = "bayes"' "$objective" "$space"
search s_mode.toml 'trials = 4' 'objectives = [{ metric = "recon_mse", mode = "down" }]' "$space"
search s_key.toml 'trials = 4' 'startups = 3' "$objective" "$space"
search s_warm.toml 'trials = 4' "$objective" 'warm_start = ["nowhere.db:old"]' "$space"
search s_twice.toml 'trials = 4' "$objective" "$space" '[sweep.grid]' '"train.lr" = [0.1]'
pbt_series='objectives = [{ metric = "test_recon_mse" }]'
search p_shape.toml 'sampler = "pbt"' 'population = 4' "$pbt_series" '[sweep.search.space]' '"model.latent" = { int_uniform = [2, 8] }'
search p_metric.toml 'sampler = "pbt"' 'population = 4' "$objective" "$space"
printf 'name = "x"\n[train]\nepochs = 3\nlr_schedule = "1:0.01,4:0.001"\n' > schedule.toml
printf 'name = "x"\n[corruption]\nkind = "masking"\n[sweep.search]\ntrials = 2\n%s\n[sweep.search.space]\n"corruption.level" = { uniform = [0.1, 2.0] }\n' "$objective" > s_corner.toml
sqlite3 "$WORK/exists.db" "CREATE TABLE t (x)"

# One row per invalid input: what it is | what stderr must say | the command. Each must exit with
# code 2, say that, and write nothing. The text is literal but for $WORK; the command is eval'd.
rows=0
while IFS='|' read -r what text cmd; do
  [ -z "$what" ] || [ "${what:0:1}" = "#" ] && continue
  text=$(trim "$text")
  expect_invalid "$(trim "$what")" "${text//\$WORK/$WORK}" eval "$cmd"
  rows=$((rows + 1))
done <<'ROWS'
syntax error | syntax.toml:3: TOML syntax error | "$RUNNER" run syntax.toml
unknown key | unknown.toml:3: key 'model.latnet': unknown key (did you mean 'model.latent'?) | "$RUNNER" run unknown.toml
wrong type | type.toml:3: key 'train.epochs': expected an integer, got a string | "$RUNNER" run type.toml
out of range | range.toml:4: key 'train.lr': must be > 0 | "$RUNNER" run range.toml
empty axis | empty.toml:3: key 'sweep.grid.model.latent': empty axis | "$RUNNER" run empty.toml
unknown sweep path | unknown sweep path 'model.hiden' (did you mean 'model.hidden'?) | "$RUNNER" run path.toml
unsafe name | unsafe.toml:1: key 'name' | "$RUNNER" run unsafe.toml
missing dataset | dataset.toml:3: key 'data.dataset': dataset "no-such-dir" | "$RUNNER" run dataset.toml
too many trials | many.toml:2: key 'max_trials': the sweep expands to 4 trials | "$RUNNER" run many.toml
bad --set | --set train.epochs=0: key 'train.epochs': must be > 0 | "$RUNNER" run good.toml --set train.epochs=0
unknown option | unknown option --dbb | "$RUNNER" run good.toml --dbb x.db
missing file | nope.toml: cannot read the sweep file | "$RUNNER" run nope.toml
plan too | unknown.toml:3: key 'model.latnet' | "$RUNNER" plan unknown.toml
explicit --db not created | range.toml:4 | "$RUNNER" run range.toml --db out.db
under mpirun | unknown.toml:3: key 'model.latnet' | "${MPI[@]}" -np 2 "$RUNNER" run unknown.toml
missing database | $WORK/missing.db: no such database | "$RUNNER" query --db "$WORK/missing.db" "SELECT 1"
bad SQL | exists.db: SQLite error: near "SELEC": syntax error | "$RUNNER" query --db "$WORK/exists.db" "SELEC 1"
query cannot write | runner query only reads | "$RUNNER" query --db "$WORK/exists.db" "DROP TABLE t"
query cannot copy | runner query only reads | "$RUNNER" query --db "$WORK/exists.db" "VACUUM INTO '$WORK/copy.db'"
query cannot attach | runner query only reads | "$RUNNER" query --db "$WORK/exists.db" "ATTACH '$WORK/other.db' AS o"
no command | unknown command | "$RUNNER" frobnicate
status needs --db | --db PATH is required | "$RUNNER" status
status of nothing | no such database | "$RUNNER" status --db "$WORK/missing.db"
# runner slurm validates the sweep and its own options before it writes the script.
slurm: bad sweep | unknown.toml:3: key 'model.latnet' | "$RUNNER" slurm unknown.toml --script job.sbatch
slurm: bad time | --time: '1h' is not a SLURM time limit | "$RUNNER" slurm good.toml --time 1h --script job.sbatch
slurm: warning after the limit | leaves no time before the warning | "$RUNNER" slurm good.toml --time 04:00 --script job.sbatch
slurm: bad count | --nodes must be a whole number from 1 | "$RUNNER" slurm good.toml --nodes 0 --script job.sbatch
slurm: too few ranks | key 'cluster.ranks_per_trial' | "$RUNNER" slurm good.toml --ntasks-per-node 2 --set cluster.ranks_per_trial=3 --script job.sbatch
slurm: switch with a value | --submit takes no value | "$RUNNER" slurm good.toml --submit=yes --script job.sbatch
early stop kind | stopkind.toml:3: key 'sweep.early_stop.kind': | "$RUNNER" run stopkind.toml
early stop eta | stopeta.toml:4: key 'sweep.early_stop.reduction': must be > 1 | "$RUNNER" run stopeta.toml
early stop metric | stopmetric.toml:3: key 'sweep.early_stop.metric': "recon_mse" is not a series | "$RUNNER" run stopmetric.toml
early stop key | stopkey.toml:3: key 'sweep.early_stop.grace_epoch': unknown key (did you mean 'sweep.early_stop.grace_epochs'?) | "$RUNNER" run stopkey.toml
early stop by --set | key 'sweep.early_stop.mode' | "$RUNNER" run good.toml --set sweep.early_stop.mode=up
fuse | fuse.toml:3: key 'cluster.fuse': must be > 0 | "$RUNNER" run fuse.toml
fuse in a plan | --set cluster.fuse=-2: key 'cluster.fuse': must be > 0 | "$RUNNER" plan good.toml --set cluster.fuse=-2
search: unknown metric | s_metric.toml:4: key 'sweep.search.objectives': unknown final metric "recon_mes" | "$RUNNER" run s_metric.toml
search: empty space | s_space.toml:5: key 'sweep.search.space': no keys to draw | "$RUNNER" run s_space.toml
search: no space | s_nospace.toml:2: key 'sweep.search.space': required | "$RUNNER" run s_nospace.toml
search: budget 0 | s_budget.toml:3: key 'sweep.search.trials': must be > 0 | "$RUNNER" run s_budget.toml
search: no budget | s_nobudget.toml:2: key 'sweep.search.trials': required key is missing | "$RUNNER" run s_nobudget.toml
search: constraint metric | s_constraint.toml:5: key 'sweep.search.constraints': unknown final metric "active_bitz" | "$RUNNER" run s_constraint.toml
search: constraint form | s_constraint_form.toml:5: key 'sweep.search.constraints': "active_bits = 50" is not | "$RUNNER" run s_constraint_form.toml
search: no such sampler | s_sampler.toml:4: key 'sweep.search.sampler' | "$RUNNER" run s_sampler.toml
search: mode | s_mode.toml:4: key 'sweep.search.objectives': mode is "min" or "max" | "$RUNNER" run s_mode.toml
search: unknown key | s_key.toml:4: key 'sweep.search.startups': unknown key (did you mean 'sweep.search.startup'?) | "$RUNNER" run s_key.toml
search: key swept twice | swept twice | "$RUNNER" run s_twice.toml
search: space leaves the key's range | s_corner.toml:8: key 'corruption.level': is a share of pixels | "$RUNNER" run s_corner.toml
search: warm start from a missing file | s_warm.toml:5: key 'sweep.search.warm_start': no database | "$RUNNER" run s_warm.toml
search: in a plan | s_metric.toml:4: key 'sweep.search.objectives' | "$RUNNER" plan s_metric.toml
pbt: a key that changes the model | p_shape.toml:7: key 'sweep.search.space.model.latent': pbt changes keys while a member trains | "$RUNNER" run p_shape.toml
pbt: judged by a final metric | p_metric.toml:5: key 'sweep.search.objectives': pbt judges members as they train | "$RUNNER" run p_metric.toml
schedule past the last epoch | schedule.toml:4: key 'train.lr_schedule': epoch 4 is past train.epochs (3) | "$RUNNER" run schedule.toml
ROWS
check "invalid inputs tried" "$rows" 53
[ ! -e "$WORK/copy.db" ] && [ ! -e "$WORK/other.db" ] || fail "runner query wrote a file"

# The valid file plans without writing anything.
"$RUNNER" plan good.toml > plan.txt
check "plan exit code" "$?" 0
check "plan last line" "$(tail -n 1 plan.txt)" "2 trials"
[ ! -e runs ] || fail "plan wrote runs/"
# A batch script for a valid sweep, written but not submitted.
"$RUNNER" slurm good.toml --nodes 2 --ntasks-per-node 4 --time 1-00:00:00 --set train.epochs=3 --script job.sbatch > slurm.txt
check "slurm exit code" "$?" 0
bash -n job.sbatch || fail "the batch script is not valid bash"
grep -q "^#SBATCH --nodes=2$" job.sbatch || fail "script lacks --nodes"
grep -q "^#SBATCH --time=1-00:00:00$" job.sbatch || fail "script lacks --time"
grep -q "^#SBATCH --requeue$" job.sbatch || fail "script lacks --requeue"
grep -q "^#SBATCH --signal=B:USR1@300$" job.sbatch || fail "script lacks the warning signal"
grep -q "^srun --mpi=pmix .* run $WORK/good.toml --db $WORK/runs/ok.db --set train.epochs=3 &$" job.sbatch ||
  fail "script's srun line: $(grep '^srun' job.sbatch)"
grep -q "submit with: sbatch $WORK/job.sbatch" slurm.txt || fail "slurm output: $(cat slurm.txt)"
[ ! -e runs ] || fail "runner slurm created the database"
rm -f job.sbatch

for cmd in plan run status query slurm import-mnist; do
  "$RUNNER" "$cmd" --help > help.txt
  check "$cmd --help exit code" "$?" 0
  grep -q "usage: runner $cmd" help.txt || fail "$cmd --help"
done
finish
