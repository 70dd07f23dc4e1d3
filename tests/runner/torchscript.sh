# model.kind = "torchscript" end to end, with the modules tests/models/make_modules.py made in
# $TORCHSCRIPT_DIR: files that cannot train are refused at load time; a trial is its file's
# contents, not its name; two ranks per trial match one; a job killed and rerun ends as one never
# killed; `runner plan` says why such trials do not fuse.
source "$(dirname "$0")/lib.sh"

for m in dense_reset dense_small state_dict no_encode wrong_width pixel_loss with_buffer; do
  cp "$TORCHSCRIPT_DIR/$m.pt" . || { fail "no $m.pt: run the models.torchscript_modules test"; finish; exit 1; }
done
EPOCHS=4
sweep() {  # NAME MODEL-PATH: a torchscript sweep of two repeats
  cat > "$1.toml" <<TOML
name = "$1"
repeats = 2
[data]
dataset = "mnist"
train_limit = 2000
test_limit = 200
[model]
kind = "torchscript"
path = "$2"
[train]
epochs = $EPOCHS
batch_size = 64
lr = 3e-3
device = "cpu"
[cluster]
threads_per_rank = 1
TOML
}

# 1. Refused before anything is written, naming the sweep's line, the key and the file.
sweep bad missing.pt
printf 'name = "x"\n[model]\nkind = "torchscript"\n' > nopath.toml
printf 'name = "x"\n[model]\nkind = "dense"\npath = "dense_small.pt"\n' > notkind.toml
while IFS='|' read -r what text cmd; do
  [ -z "$what" ] && continue
  expect_invalid "$(trim "$what")" "$(trim "$text")" eval "$cmd"
done <<'ROWS'
missing file | bad.toml:9: key 'model.path': cannot read the module file ./missing.pt | "$RUNNER" run bad.toml
not TorchScript | key 'model.path': ./state_dict.pt is not a TorchScript module | "$RUNNER" run bad.toml --set model.path='"state_dict.pt"'
no encode | key 'model.path': ./no_encode.pt has no method encode() | "$RUNNER" run bad.toml --set model.path='"no_encode.pt"'
decode's width | ./wrong_width.pt: decode must return (batch, 784) images; on codes of shape (64, 8) it returns (64, 100) | "$RUNNER" run bad.toml --set model.path='"wrong_width.pt"'
encode's width | ./dense_small.pt: encode on a batch of shape (64, 1568) fails | "$RUNNER" run bad.toml --set model.path='"dense_small.pt"' --set corruption.kind='"masking"' --set corruption.level=0.2 --set corruption.mask_input=true
loss not a scalar | ./pixel_loss.pt: loss must return a floating-point scalar | "$RUNNER" run bad.toml --set model.path='"pixel_loss.pt"'
a buffer | ./with_buffer.pt has a buffer, norm.running_mean | "$RUNNER" run bad.toml --set model.path='"with_buffer.pt"'
no path | nopath.toml:3: key 'model.kind': "torchscript" needs model.path | "$RUNNER" run nopath.toml
path without torchscript | notkind.toml:4: key 'model.path': is for model.kind = "torchscript" only | "$RUNNER" run notkind.toml
under mpirun | key 'model.path': ./no_encode.pt has no method encode() | "${MPI[@]}" -np 2 "$RUNNER" run bad.toml --set model.path='"no_encode.pt"'
in a plan | key 'model.path': ./pixel_loss.pt: loss must | "$RUNNER" plan bad.toml --set model.path='"pixel_loss.pt"'
ROWS

# 2. A trial is the file's contents: renamed, the same trials (done); edited, new ones.
cp dense_reset.pt mine.pt
sweep ts mine.pt
"$RUNNER" run ts.toml --db ref.db > ref.txt 2>&1
check "uninterrupted run" "$?" 0
check "two repeats, both completed" "$(sql ref.db "SELECT count(*) || '/' || sum(status = 'completed') FROM trials")" "2/2"
check "repeats start apart (reset_parameters under each seed)" \
  "$(sql ref.db "SELECT count(DISTINCT value) FROM final_metrics WHERE name = 'recon_mse'")" 2
cp ref.db id.db
mv mine.pt renamed.pt
"$RUNNER" run ts.toml --db id.db --set model.path='"renamed.pt"' > renamed.txt 2>&1
check "renamed: exit code" "$?" 0
grep -q "2 trials, 2 already done, 0 to run" renamed.txt || fail "renamed file trained again: $(head -n 2 renamed.txt)"
cp dense_small.pt renamed.pt
"$RUNNER" run ts.toml --db id.db --set model.path='"renamed.pt"' > edited.txt 2>&1
check "edited: exit code" "$?" 0
grep -q "2 trials, 0 already done, 2 to run" edited.txt || fail "edited file not new trials: $(head -n 2 edited.txt)"
grep -qF "note: model.path ./renamed.pt: it has no reset_parameters(): every repeat starts from the file's weights" edited.txt ||
  fail "no note for a module without reset_parameters: $(head -n 3 edited.txt)"
check "each version's hash recorded" "$(sql id.db "SELECT count(DISTINCT json_extract(config, '$.model_file_hash')) FROM trials")" 2

# 3. Two ranks per trial in data parallel: one rank's metrics within float tolerance.
cp dense_reset.pt mine.pt
"${MPI[@]}" -np 2 "$RUNNER" run ts.toml --db pair.db --set cluster.ranks_per_trial=2 > pair.txt 2>&1
check "two ranks per trial: exit code" "$?" 0
check "rank 0 and 1 train each trial" "$(sql pair.db "SELECT group_concat(DISTINCT ranks) FROM trials")" "[0,1]"
check "final metrics within 1e-4 of one rank's" "$(sql ref.db "ATTACH 'pair.db' AS p;
  SELECT count(*) FROM final_metrics a JOIN p.final_metrics b USING (trial_id, name)
  WHERE name LIKE 'recon_mse%' AND abs(a.value - b.value) <= 1e-4 * abs(a.value)")" $((2 * 11))
check "series within 1e-4" "$(sql ref.db "ATTACH 'pair.db' AS p; SELECT count(*) FROM metrics a
  JOIN p.metrics b USING (trial_id, epoch, name) WHERE abs(a.value - b.value) <= 1e-4 * abs(a.value)")" $((2 * 2 * EPOCHS))

# 4. Killed mid-trial with SIGKILL, then rerun: as never killed, bit for bit.
setsid "$RUNNER" run ts.toml --db k.db > kill1.txt 2>&1 &
job=$!
wait_for_epochs k.db 2 "$job"
kill_job "$job"
check "a trial in flight when killed" "$(sql k.db "SELECT count(*) FROM trials WHERE status = 'running'")" 1
"$RUNNER" run ts.toml --db k.db > kill2.txt 2>&1
check "rerun: exit code" "$?" 0
grep -q "^resume   .* from epoch [1-9]" kill2.txt || fail "no resume: $(grep -m 3 . kill2.txt)"
check "series as never killed" "$(sql k.db "ATTACH 'ref.db' AS r; SELECT count(*) FROM metrics a
  JOIN r.metrics b USING (trial_id, epoch, name) WHERE a.value IS b.value")" $((2 * 2 * EPOCHS))
check "final metrics as never killed" "$(sql k.db "ATTACH 'ref.db' AS r; SELECT count(*) FROM final_metrics a
  JOIN r.final_metrics b USING (trial_id, name) WHERE a.name NOT GLOB 'seconds*'
  AND a.name <> 'samples_per_s' AND a.value IS NOT b.value")" 0

# 5. Fused arrays do not apply, and the plan says why.
"$RUNNER" plan ts.toml --set cluster.fuse=4 > plan.txt 2>&1
grep -qF "does not fuse: a TorchScript module is one model" plan.txt || fail "plan: $(cat plan.txt)"
finish
