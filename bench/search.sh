#!/usr/bin/env bash
# [sweep.search] on real training: an ICVAE (document 002) on 2,000 embedded MNIST digits, four
# keys searched (train.lr, loss.beta, loss.lambda, model.latent), 30 trials a search, random
# against TPE with three seeds each, all in this one run on this machine. Reports the best
# recon_mse each found at equal budget. Then a two-objective search (recon_mse against the
# adversary's accuracy at telling the digit from the code, both lower is better) whose report
# shows the Pareto front. Not a test: it prints a table, and the report's folder.
#
#   bench/search.sh [TRIALS]      (default: 30)
set -euo pipefail
cd "$(dirname "$0")/.."
TRIALS=${1:-30}
[ -x build/runner ] || scripts/setup.sh
RUNNER=$(realpath build/runner)
MPI=(mpirun --oversubscribe)
[ "$(id -u)" -eq 0 ] && MPI+=(--allow-run-as-root)
OUT=${OUT:-$(mktemp -d /tmp/runner-searchbench-XXXXXX)}
cd "$OUT"

sweep() {  # NAME SAMPLER SEED OBJECTIVES
  cat > "$1.toml" <<TOML
name = "$1"
seed = $3
[data]
dataset = "mnist"
train_limit = 2000
test_limit = 500
[model]
kind = "icvae"
hidden = [128]
latent = 8
[train]
epochs = 3
batch_size = 128
[cluster]
threads_per_rank = 1
[sweep.search]
sampler = "$2"
trials = $TRIALS
startup = 8
objectives = $4
[sweep.search.space]
"train.lr" = { log_uniform = [1e-4, 1e-2] }
"loss.beta" = { log_uniform = [0.01, 1.0] }
"loss.lambda" = { log_uniform = [0.01, 10.0] }
"model.latent" = { int_uniform = [2, 32] }
TOML
}

best() {  # SWEEP: its best recon_mse
  sqlite3 search.db "SELECT printf('%.5f', min(f.value)) FROM final_metrics f JOIN trials t ON t.id = f.trial_id WHERE t.sweep = '$1' AND f.name = 'recon_mse'"
}

printf "%-6s %12s %12s\n" seed random tpe
for seed in 1 2 3; do
  for sampler in random tpe; do
    sweep "$sampler$seed" "$sampler" "$seed" '[{ metric = "recon_mse" }]'
    "${MPI[@]}" -np 2 "$RUNNER" run "$sampler$seed.toml" --db search.db > "$sampler$seed.log" 2>&1
  done
  printf "%-6s %12s %12s\n" "$seed" "$(best random$seed)" "$(best tpe$seed)"
done

sweep front tpe 1 '[{ metric = "recon_mse" }, { metric = "adversary_accuracy" }]'
"${MPI[@]}" -np 2 "$RUNNER" run front.toml --db search.db > front.log 2>&1
echo
"$RUNNER" status --db search.db | sed -n '/^sweep front/,/^sweep /p' | grep -v '^sweep [^f]'
"$RUNNER" report --db search.db --sweep front --out report > /dev/null
echo "report: $OUT/report/index.html"
