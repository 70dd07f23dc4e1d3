#!/usr/bin/env bash
# Whether two runs of one sweep gave the same results: trial rows, series, final metrics (every
# value to 17 digits) and the pictures' bytes. Timings (created/started/ended, seconds and seconds_*,
# samples_per_s), leases and placement (ranks, hosts) are left out: they differ between any two
# runs. For a change that must not change behaviour: run a sweep before and after, then
#   scripts/same-results.sh before.db after.db
# Prints what differs; exit 0 when nothing does.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 A.db B.db" >&2; exit 2; }

dump() {
  local db=$1 dir
  dir=$(dirname "$db")
  sqlite3 "$db" "
    SELECT 'trial', id, sweep, config, config_hash, repeat, seed, status, attempts, error,
           resumed_from, array_id FROM trials ORDER BY id;
    SELECT 'series', trial_id, epoch, name, printf('%!.17g', value), attempt FROM metrics
      ORDER BY trial_id, epoch, name;
    SELECT 'final', trial_id, name, printf('%!.17g', value) FROM final_metrics
      WHERE name NOT GLOB 'seconds*' AND name <> 'samples_per_s' ORDER BY trial_id, name;
    SELECT 'decision', trial_id, epoch, rule, printf('%!.17g', value), decision FROM decisions
      ORDER BY trial_id, epoch;"
  # Pictures in the database (png), or beside it as older runners kept them (path).
  sqlite3 -separator '|' "$db" "SELECT trial_id, kind, png IS NOT NULL, path FROM artifacts ORDER BY trial_id, kind" |
    while IFS='|' read -r trial kind in_db path; do
      if [ "$in_db" = 1 ]; then
        echo "picture|$trial|$kind|$(sqlite3 "$db" "SELECT hex(png) FROM artifacts WHERE trial_id = '$trial' AND kind = '$kind'" | sha256sum | cut -d' ' -f1)"
      else
        echo "picture|$trial|$kind|$(sha256sum "$dir/$path" | cut -d' ' -f1)"
      fi
    done
}

a=$(mktemp) b=$(mktemp)
trap 'rm -f "$a" "$b"' EXIT
dump "$1" >"$a"
dump "$2" >"$b"
if diff "$a" "$b" >/dev/null; then
  echo "same: $(grep -c '^trial' "$a") trials, $(grep -c '^series' "$a") series values, $(grep -c '^final' "$a") final metrics, $(grep -c '^picture' "$a") pictures"
else
  diff "$a" "$b" | head -40
  echo "they differ" >&2
  exit 1
fi
