#!/usr/bin/env bash
# What the TorchScript interpreter costs: the built-in `dense` against the same model written in
# PyTorch and scripted (tests/models/make_modules.py's Dense), both trained by the runner at one
# thread, in one run; at 784-256-64, and at 784-32-8 where the per-op overhead shows most. Not a test: it prints numbers (README, "Bring your own model").
#
#   bench/torchscript.sh [repeats]     (default 3: trials of each, the mean taken)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
bench_start torchscript
/usr/bin/python3 tests/models/make_modules.py "$WORK" 2>/dev/null
cat > "$WORK/bench.toml" <<TOML
name = "torchscript-bench"
repeats = ${1:-3}
[train]
epochs = 3
batch_size = 128
device = "cpu"
[cluster]
threads_per_rank = 1
[[sweep.cases]]
"model.kind" = "dense"
"model.hidden" = [256]
"model.latent" = 64
[[sweep.cases]]
"model.kind" = "torchscript"
"model.path" = "dense.pt"
[[sweep.cases]]
"model.kind" = "dense"
"model.hidden" = [32]
"model.latent" = 8
[[sweep.cases]]
"model.kind" = "torchscript"
"model.path" = "dense_small.pt"
TOML
"$RUNNER" run "$WORK/bench.toml" --db "$WORK/b.db" > "$WORK/run.txt" 2>&1 || { cat "$WORK/run.txt"; exit 1; }
echo "BLAS kernel: $("$RUNNER" doctor 2>/dev/null | grep -i -m1 kernel || echo unknown)"
echo "| model | samples/s (training) | seconds_train | seconds_evaluation | seconds_probe | seconds (trial) |"
echo "|---|---:|---:|---:|---:|---:|"
# Each model as "kind size": the file's size is its name's (dense.pt: 784-256-64, dense_small.pt:
# 784-32-8).
size="CASE WHEN json_extract(t.config, '$.model.kind') = 'dense'
  THEN CASE json_extract(t.config, '$.model.latent') WHEN 64 THEN '784-256-64' ELSE '784-32-8' END
  ELSE CASE json_extract(t.config, '$.model.path') WHEN 'dense.pt' THEN '784-256-64' ELSE '784-32-8' END END"
sqlite3 -separator ' | ' "$WORK/b.db" "
  SELECT '| ' || json_extract(t.config, '$.model.kind') || ' ' || $size,
         printf('%.0f', avg(CASE WHEN f.name = 'samples_per_s' THEN f.value END)),
         printf('%.2f', avg(CASE WHEN f.name = 'seconds_train' THEN f.value END)),
         printf('%.3f', avg(CASE WHEN f.name = 'seconds_evaluation' THEN f.value END)),
         printf('%.3f', avg(CASE WHEN f.name = 'seconds_probe' THEN f.value END)),
         printf('%.2f', avg(CASE WHEN f.name = 'seconds' THEN f.value END)) || ' |'
  FROM trials t JOIN final_metrics f ON f.trial_id = t.id GROUP BY 1 ORDER BY $size DESC, 1"
sqlite3 "$WORK/b.db" "
  WITH s AS (SELECT $size AS size, json_extract(t.config, '$.model.kind') AS kind, avg(f.value) AS v
             FROM final_metrics f JOIN trials t ON t.id = f.trial_id
             WHERE f.name = 'samples_per_s' GROUP BY 1, 2)
  SELECT 'torchscript / built-in, training samples/s at ' || a.size || ': ' || printf('%.3f', a.v / b.v)
  FROM s a JOIN s b ON a.size = b.size AND a.kind = 'torchscript' AND b.kind = 'dense'
  ORDER BY a.size DESC"
