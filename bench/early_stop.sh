#!/usr/bin/env bash
# What early stopping saves: one random sweep of 32 VAE trials (learning rate log-uniform, code
# size, beta), run in full and with ASHA (grace 1 epoch, eta 3: rungs at epochs 1, 3 and 9 of 27),
# both in this one run on this machine. Prints the best test reconstruction error of each (the
# final recon_mse, of the model where a pruned trial stopped) and the epochs each trained.
# Not a test: it prints a table.
#
#   bench/early_stop.sh [RANKS]      (default 2)
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x build/runner ] || scripts/setup.sh
RANKS=${1:-2}
MPI=(mpirun --oversubscribe)
[ "$(id -u)" -eq 0 ] && MPI+=(--allow-run-as-root)
WORK=$(mktemp -d /tmp/runner-earlybench-XXXXXX)
trap 'rm -rf "$WORK"' EXIT

cat > "$WORK/sweep.toml" <<'TOML'
name = "early-bench"
seed = 11
[data]
train_limit = 2000
test_limit = 1000
[model]
kind = "vae"
hidden = [128]
[train]
epochs = 27
batch_size = 64
device = "cpu"
[sweep.random]
samples = 32
"train.lr" = { log_uniform = [1e-4, 3e-2] }
"model.latent" = { choice = [2, 4, 8, 16, 32] }
"loss.beta" = { uniform = [0.1, 2.0] }
TOML

run() {  # KIND DB: the sweep with sweep.early_stop.kind = KIND; prints its wall seconds
  local start end
  start=$(date +%s.%N)
  "${MPI[@]}" -np "$RANKS" build/runner run "$WORK/sweep.toml" --db "$2" \
    --set sweep.early_stop.kind="$1" > "$WORK/$1.txt" 2>&1 || true
  end=$(date +%s.%N)
  echo "$end - $start" | bc -l
}
best() { sqlite3 "$1" "SELECT min(value) FROM final_metrics WHERE name = 'recon_mse'"; }
epochs() { sqlite3 "$1" "SELECT sum(n) FROM (SELECT max(epoch) AS n FROM metrics GROUP BY trial_id)"; }

s_full=$(run none "$WORK/full.db")
s_asha=$(run asha "$WORK/asha.db")
b_full=$(best "$WORK/full.db") b_asha=$(best "$WORK/asha.db")
e_full=$(epochs "$WORK/full.db") e_asha=$(epochs "$WORK/asha.db")
pruned=$(sqlite3 "$WORK/asha.db" "SELECT count(*) FROM trials WHERE status = 'pruned'")
printf '| 32 VAE trials, 27 epochs, %s ranks | best test recon_mse | epochs trained | seconds |\n' "$RANKS"
printf '|---|---:|---:|---:|\n'
printf '| full sweep | %.5f | %d | %.0f |\n' "$b_full" "$e_full" "$s_full"
printf '| ASHA (%d pruned) | %.5f (%+.1f%%) | %d (%.0f%%) | %.0f |\n' "$pruned" "$b_asha" \
  "$(echo "($b_asha / $b_full - 1) * 100" | bc -l)" "$e_asha" "$(echo "$e_asha * 100 / $e_full" | bc -l)" "$s_asha"
