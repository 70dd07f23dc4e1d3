#!/usr/bin/env bash
# Population-based training against fixed KL schedules, at equal training budget (6 trials of 8
# epochs each), on a VAE (784-128-16) and the embedded MNIST. Not a test: it prints numbers.
#
#   bench/pbt.sh
#
#   pbt        population 6, decisions every 2 epochs, over train.lr and loss.beta, judged by
#              the test ELBO; the population fused into one array (cluster.fuse = 6)
#   cyclical   Fu et al.'s schedule, the grid M in {1, 2, 4} x R in {0.5, 1}, beta 1, lr 1e-3
#   constant   beta 1 throughout, six learning rates from 3e-4 to 3e-3
# For each, the trial with the best final ELBO: its ELBO, recon_mse and KL to the prior; then the
# schedule PBT found (runner export --replay), and PBT's wall time fused against one member per
# rank (mpirun -np 2, cluster.fuse = 1) and two arrays of 3 (mpirun -np 2, cluster.fuse = 3).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNNER=$(realpath build/runner)
[ -x "$RUNNER" ] || scripts/setup.sh
WORK=$(mktemp -d /tmp/runner-pbt-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

head() {  # NAME
  cat <<TOML
name = "$1"
seed = 1
[model]
kind = "vae"
hidden = [128]
latent = 16
[train]
epochs = 8
batch_size = 128
lr = 1e-3
[loss]
beta = 1.0
TOML
}
{ head pbt; cat <<TOML; } > pbt.toml
[sweep.search]
sampler = "pbt"
population = 6
interval = 2
quantile = 0.25
objectives = [{ metric = "test_elbo", mode = "max" }]
[sweep.search.space]
"train.lr" = { log_uniform = [3e-4, 3e-3] }
"loss.beta" = { uniform = [0.1, 1.5] }
TOML
{ head cyclical; cat <<TOML; } > cyclical.toml
[kl]
schedule = "cyclical"
[sweep.grid]
"kl.cycles" = [1, 2, 4]
"kl.ratio" = [0.5, 1.0]
TOML
{ head constant; cat <<TOML; } > constant.toml
[sweep.grid]
"train.lr" = [3e-4, 5e-4, 1e-3, 1.5e-3, 2e-3, 3e-3]
TOML

seconds() {  # COMMAND...: wall seconds of the command
  local t0
  t0=$(date +%s.%N)
  "$@" > /dev/null 2>&1
  echo "$(date +%s.%N) - $t0" | bc -l
}
fused=$(seconds "$RUNNER" run pbt.toml --db pbt.db --set cluster.fuse=6)
MPI=(mpirun --oversubscribe --allow-run-as-root -np 2)
per_rank=$(seconds "${MPI[@]}" "$RUNNER" run pbt.toml --db ranks.db --set cluster.fuse=1)
halves=$(seconds "${MPI[@]}" "$RUNNER" run pbt.toml --db halves.db --set cluster.fuse=3)
"$RUNNER" run cyclical.toml --db cyclical.db > /dev/null 2>&1
"$RUNNER" run constant.toml --db constant.db > /dev/null 2>&1

best() {  # DB: "ELBO RECON KL" of the trial with the best final ELBO
  sqlite3 -separator ' ' "$1" "SELECT printf('%.2f', e.value), printf('%.5f', r.value), printf('%.2f', k.value)
    FROM final_metrics e JOIN final_metrics r ON r.trial_id = e.trial_id AND r.name = 'recon_mse'
    JOIN final_metrics k ON k.trial_id = e.trial_id AND k.name = 'kl_prior'
    WHERE e.name = 'elbo' ORDER BY e.value DESC LIMIT 1"
}
printf '\nmachine: %s, %s cores; one run\n\n' "$(uname -m)" "$(nproc)"
printf '| method | best final ELBO | its recon_mse | its KL |\n|---|---:|---:|---:|\n'
for m in pbt cyclical constant; do
  read -r e r k < <(best $m.db)
  printf '| %s | %s | %s | %s |\n' "$m" "$e" "$r" "$k"
done
read -r e r k < <(best ranks.db)
printf '| pbt, one member per rank | %s | %s | %s |\n' "$e" "$r" "$k"
read -r e r k < <(best halves.db)
printf '| pbt, two arrays of 3 | %s | %s | %s |\n' "$e" "$r" "$k"
echo
"$RUNNER" export --db pbt.db --sweep pbt --replay replay.toml
grep -E '^(train.lr|loss.beta)_schedule' replay.toml
printf '\nexploits: %s of %s decisions, %s of them in memory\n' \
  "$(sqlite3 pbt.db "SELECT count(*) FROM pbt_decisions WHERE source IS NOT NULL")" \
  "$(sqlite3 pbt.db "SELECT count(*) FROM pbt_decisions")" \
  "$(sqlite3 pbt.db "SELECT count(*) FROM pbt_decisions d JOIN trials s ON s.id = d.source JOIN trials t ON t.id = d.trial_id WHERE s.array_id = t.array_id AND d.source_epoch = d.epoch")"
printf 'wall time of pbt: %.1f s fused into one array (one process), %.1f s one member per rank, %.1f s two arrays of 3 (mpirun -np 2 both)\n' \
  "$fused" "$per_rank" "$halves"
