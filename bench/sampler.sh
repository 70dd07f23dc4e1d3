#!/usr/bin/env bash
# The search library's samplers against Debian's Optuna (python3-optuna 3.1), no training: both
# search the same standard functions (bench/test_functions.h, bench/sampler_optuna.py) in this
# one run on this machine. Not a test: it prints a table.
#
#   bench/sampler.sh [SEEDS]      (default: 20)
#
# Quality: the median over SEEDS seeds of the best regret (Branin, Hartmann-6, a mixed space of
# log-uniform, int, choice and uniform keys; lower is better) or of the hypervolume of every trial
# so far (ZDT1, ZDT2 in 30 variables, two objectives, reference point (1.1, 11); higher is
# better) after 25, 50 and 100 trials. Speed: the time of one TPE proposal with 100, 1,000 and
# 10,000 finished trials behind it (Hartmann-6).
set -euo pipefail
cd "$(dirname "$0")/.."
SEEDS=${1:-20}
[ -x build/bench/sampler_bench ] || scripts/setup.sh
[ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import optuna' 2>/dev/null ||
  { echo "needs Debian's python3-optuna (scripts/setup.sh installs it)" >&2; exit 1; }
OUT=$(mktemp -d /tmp/runner-samplerbench-XXXXXX)
trap 'rm -rf "$OUT"' EXIT
build/bench/sampler_bench "$SEEDS" > "$OUT/runner.tsv"
/usr/bin/python3 bench/sampler_optuna.py "$SEEDS" > "$OUT/optuna.tsv"
cat "$OUT/runner.tsv" "$OUT/optuna.tsv" | awk -F'\t' '
  $1 == "quality" { v[$2 "|" $3 "|" $4] = $5; f[$2] = 1; s[$3] = 1; t[$4] = 1 }
  END {
    split("runner-tpe optuna-tpe optuna-nsga2 runner-random optuna-random", order, " ")
    printf "%-10s %6s", "function", "trials"
    for (i = 1; i <= 5; i++) printf " %14s", order[i]
    printf "\n"
    split("branin hartmann6 mixed zdt1 zdt2", fns, " ")
    for (j = 1; j <= 5; j++) for (n = 25; n <= 100; n *= 2) {
      printf "%-10s %6d", fns[j], n
      for (i = 1; i <= 5; i++) { k = fns[j] "|" order[i] "|" n; printf " %14s", (k in v) ? v[k] : "-" }
      printf "\n"
    }
  }'
echo
echo "ms per TPE proposal (Hartmann-6), by finished trials:"
printf "%-8s %10s %10s\n" trials runner optuna
join <(awk -F'\t' '$1=="proposal_ms"{print $2, $3}' "$OUT/runner.tsv" | sort) \
     <(awk -F'\t' '$1=="proposal_ms"{print $2, $3}' "$OUT/optuna.tsv" | sort) |
  sort -n | awk '{printf "%-8s %10s %10s\n", $1, $2, $3}'
